#include <doctest/doctest.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "error.h"
#include "media/image_io.h"
#include "media/quality.h"
#include "media/resize.h"
#include "support.h"
#include "tokenize/image_tokenizer.h"
#include "tokenize/visual_decoder.h"
#include "tokenize/visual_metadata.h"
#include "tokenize/vq_codebook.h"
#include "tokenize/vq_fit.h"

using namespace mm;
using namespace mm::tokenize;

using mm::test::error_of;

namespace {

std::string as_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

media::Image photo(const std::string& name, int long_side) {
  media::Image image = media::read_image(std::string(MM_OPENCV_DATA) + "/" + name);
  media::Placement p = media::place(image.width, image.height, media::parse_size(std::to_string(long_side)), 8);
  return media::compose(media::resize(image, p.scaled_width, p.scaled_height), p);
}

// A small codebook fit on one photo: fast enough for a unit test.
std::string small_codebook(uint64_t seed, int threads) {
  std::vector<float> vectors;
  append_patch_vectors(photo("aero1.jpg", 160), 8, 2, vectors);
  VqFitOptions options;
  options.codes = 64;
  options.levels = 2;
  options.iterations = 4;
  options.seed = seed;
  options.threads = threads;
  return as_string(serialize_codebook(fit_codebook(vectors, options)));
}

}  // namespace

TEST_CASE("the colour transform and patch vectors invert exactly up to chroma averaging") {
  media::Image image = photo("fruits.jpg", 64);
  std::vector<float> v(Codebook::dims_for(8, 1));
  media::Image back = image;
  for (int y = 0; y < image.height; y += 8)
    for (int x = 0; x < image.width; x += 8) {
      patch_to_vector(image.rgb.data(), image.width, x, y, 8, 1, v.data());
      vector_to_patch(v.data(), 8, 1, back.rgb.data(), back.width, x, y);
    }
  CHECK(media::psnr(image, back) > 50);  // full chroma: only rounding
}

TEST_CASE("fitting is deterministic, whatever the threads; the id names the bytes") {
  std::string a = small_codebook(7, 1), b = small_codebook(7, 2), c = small_codebook(8, 1);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(codebook_id(a) == codebook_id(b));
  CHECK(codebook_id(a) != codebook_id(c));
  CHECK(codebook_id(a).rfind("vq-", 0) == 0);
  Codebook book = parse_codebook(a, "a");
  CHECK(book.codes == 64);
  CHECK(book.levels == 2);
  CHECK(as_string(serialize_codebook(book)) == a);
}

TEST_CASE("malformed codebooks are refused with the reason") {
  std::string good = small_codebook(1, 1);
  CHECK(error_of([&] { parse_codebook(good.substr(0, 10), "x"); }) == "x: not a VQ codebook: shorter than its header");
  CHECK(error_of([&] { parse_codebook(good.substr(0, good.size() - 2), "x"); }).find("bytes, expected") != std::string::npos);
  std::string bad = good;
  bad[0] = 'X';
  CHECK(error_of([&] { parse_codebook(bad, "x"); }) == "x: not a VQ codebook: no MMVQ signature");
  bad = good;
  bad[8] = 5;  // patch side
  CHECK(error_of([&] { parse_codebook(bad, "x"); }) == "x: not a VQ codebook: patch side 5 (4, 8 or 16)");
  CHECK_THROWS_AS(ImageTokenizer::load("/nonexistent.vq"), Error);
}

TEST_CASE("more levels give a closer picture, with codes laid out as the grid says") {
  auto tokenizer = ImageTokenizer::from_bytes(small_codebook(1, 1), "small");
  media::Image frame = photo("home.jpg", 128);  // 128x96: 16x12 patches
  double previous = 0;
  for (int levels = 1; levels <= 2; ++levels) {
    std::vector<uint32_t> codes, threaded;
    tokenizer.encode(frame, levels, codes);
    tokenizer.encode(frame, levels, threaded, 3);
    CHECK(codes == threaded);
    CHECK(codes.size() == size_t(16 * 12 * levels));
    media::Image back = tokenizer.decode(codes.data(), codes.size(), 16, 12, levels);
    double quality = media::psnr(frame, back);
    CHECK(quality > previous);
    previous = quality;
  }
  std::vector<uint32_t> unused;
  CHECK_THROWS_AS(tokenizer.encode(media::Image{12, 8, std::vector<uint8_t>(12 * 8 * 3)}, 1, unused), Error);
  std::vector<uint32_t> wrong(10, 0);
  CHECK(error_of([&] { tokenizer.decode(wrong.data(), wrong.size(), 16, 12, 1); }).find("needs 192 codes") != std::string::npos);
  wrong.assign(192, 64);
  CHECK(error_of([&] { tokenizer.decode(wrong.data(), wrong.size(), 16, 12, 1); }) ==
        "code 64 is beyond the codebook's 64");
}

TEST_CASE("the default codebook: real held-out photos above a PSNR floor") {
  auto tokenizer = ImageTokenizer::load(std::string(MM_SOURCE_DIR) + "/models/default/image-vq.bin");
  CHECK(tokenizer.vocab_size() >= 1024);
  for (const char* name : {"baboon.jpg", "home.jpg"}) {
    media::Image frame = photo(name, 128);
    std::vector<uint32_t> codes;
    tokenizer.encode(frame, 0, codes);
    media::Image back =
        tokenizer.decode(codes.data(), codes.size(), frame.width / 8, frame.height / 8, tokenizer.levels());
    INFO(name);
    CHECK(media::psnr(frame, back) > 20);
  }
}

TEST_CASE("the beam search over residual levels comes closer than level by level") {
  auto tokenizer = ImageTokenizer::load(std::string(MM_SOURCE_DIR) + "/models/default/image-vq.bin");
  media::Image frame = photo("fruits.jpg", 96);
  auto quality = [&](int beam) {
    tokenizer.set_beam(beam);
    std::vector<uint32_t> codes;
    tokenizer.encode(frame, 0, codes);
    return media::psnr(frame, tokenizer.decode(codes.data(), codes.size(), frame.width / 8, frame.height / 8,
                                               tokenizer.levels()));
  };
  double greedy = quality(1), beam = quality(4);
  CHECK(beam > greedy + 0.05);
}

TEST_CASE("visual metadata round-trips and its faults are named") {
  auto tokenizer = ImageTokenizer::from_bytes(small_codebook(1, 1), "small");
  VisualGeometry g = geometry_for_grid(tokenizer, 8, 3, 2);
  CHECK(g.patches_x == 4);
  CHECK(g.frame_width() == 32);
  g.frames = 2;
  g.fps = 4;
  g.timestamps = {0, 0.25};
  g.part = 1;
  std::string json = visual_metadata_fields(g, true);
  auto meta = nlohmann::json::parse(json);
  CHECK(meta["grid"]["width"] == 8);
  CHECK(meta["grid"]["height"] == 3);
  VisualGeometry back = parse_visual_metadata(json, true);
  CHECK(back.patches_x == 4);
  CHECK(back.levels == 2);
  CHECK(back.timestamps == g.timestamps);
  CHECK(back.part == 1);
  CHECK_THROWS_AS(geometry_for_grid(tokenizer, 7, 3, 2), Error);
  CHECK(geometry_for_grid(tokenizer, 8, 3).levels == 2);  // all the codebook's levels
  CHECK(geometry_for_grid(tokenizer, 7, 3).levels == 1);  // else one
  auto broken = meta;
  broken["content"]["width"] = 33;
  CHECK(error_of([&] { parse_visual_metadata(broken.dump(), true); }) == "image metadata: \"content\" lies outside the frame");
  broken = meta;
  broken["timestamps"] = {0};
  CHECK(error_of([&] { parse_visual_metadata(broken.dump(), true); }) ==
        "image metadata: \"timestamps\" must list one time per frame");
  broken = meta;
  broken.erase("patch");
  CHECK(error_of([&] { parse_visual_metadata(broken.dump(), false); }) == "image metadata: no \"patch\"");
}

TEST_CASE("the visual decoder refuses another tokenizer's codes and counts frames") {
  auto tokenizer = ImageTokenizer::from_bytes(small_codebook(1, 1), "small");
  VisualGeometry g = geometry_for_grid(tokenizer, 4, 2, 2);
  g.frames = 2;
  g.fps = 2;
  g.timestamps = {0, 0.5};
  std::string json = visual_metadata_fields(g, true);
  CHECK(error_of([&] { VisualDecoder(tokenizer, "vq-0000000000000000", json, true); }).find("made by tokenizer vq-0000000000000000") == 0);
  VisualDecoder decoder(tokenizer, tokenizer.id(), json, true);
  std::vector<uint32_t> codes(8 * 2, 3);
  int frames = 0;
  decoder.codes(codes.data(), 5, [&](const media::Image&) { ++frames; });
  CHECK(frames == 0);
  decoder.codes(codes.data() + 5, 11, [&](const media::Image& image) {
    ++frames;
    CHECK(image.width == 16);
    CHECK(image.height == 16);
  });
  CHECK(frames == 2);
  decoder.finish();
  VisualDecoder short_one(tokenizer, tokenizer.id(), json, true);
  short_one.codes(codes.data(), 8, [](const media::Image&) {});
  CHECK(error_of([&] { short_one.finish(); }) == "the metadata declares 2 frames, the codes make 1");
}
