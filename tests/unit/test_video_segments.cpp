#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "media/quality.h"
#include "media/video.h"
#include "stream/io.h"
#include "stream/reader.h"
#include "stream/writer.h"
#include "support.h"
#include "tokenize/video_segments.h"
#include "tokenize/visual_decoder.h"

using namespace mm;

namespace {

std::string default_codebook() { return std::string(MM_SOURCE_DIR) + "/models/default/image-vq.bin"; }

struct Clip {
  test::ScratchDir scratch{"segments"};
  const std::string dir = scratch.path(), path = dir + "/clip.mp4";
  Clip() { test::ffmpeg("-f lavfi -i testsrc2=size=64x48:rate=10 -t 2 -c:v libx264 -pix_fmt yuv420p " + path); }
};

struct Segment {
  nlohmann::json meta;
  std::vector<uint32_t> codes;
};

std::vector<Segment> read_all(std::vector<uint8_t>& bytes) {
  stream::MemorySource source(bytes.data(), bytes.size());
  stream::Reader reader(source);
  std::vector<Segment> out;
  for (stream::Event e; (e = reader.next()) != stream::Event::Eof;) {
    if (e == stream::Event::SegmentBegin) out.push_back({nlohmann::json::parse(reader.segment().json), {}});
    if (e == stream::Event::Tokens) out.back().codes.insert(out.back().codes.end(), reader.tokens().begin(), reader.tokens().end());
  }
  return out;
}

}  // namespace

TEST_CASE("write_until cuts a video into segments by time, for interleaving") {
  Clip clip;
  auto tokenizer = tokenize::ImageTokenizer::load(default_codebook());
  stream::MemorySink sink;
  stream::Writer writer(sink);
  media::VideoOptions options;
  options.fps = 4;
  media::VideoDecoder decoder(clip.path, options);
  tokenize::VideoSegmentSettings settings;
  settings.levels = tokenizer.levels();  // all, where video defaults to one
  tokenize::VideoSegmenter segmenter(decoder, tokenizer, writer, settings);
  CHECK(segmenter.write_until(0.6));   // frames at 0, 0.25, 0.5
  CHECK(segmenter.write_until(0.6));   // nothing new: no segment
  CHECK(!segmenter.write_until(10));   // the rest: 0.75 ... 1.75
  writer.finish();
  CHECK(segmenter.frames() == 8);
  auto segments = read_all(sink.bytes());
  REQUIRE(segments.size() == 2);
  CHECK(segments[0].meta["part"] == 0);
  CHECK(segments[0].meta["frames"] == 3);
  CHECK(segments[0].meta["timestamps"] == nlohmann::json({0.0, 0.25, 0.5}));
  CHECK(segments[1].meta["part"] == 1);
  CHECK(segments[1].meta["frames"] == 5);
  CHECK(segments[0].meta["grid"]["width"] == 8 * tokenizer.levels());  // 64 pixels: 8 patches
  CHECK(segments[0].meta["grid"]["height"] == 6);
  CHECK(segments[0].codes.size() == size_t(3 * 8 * tokenizer.levels() * 6));

  // The codes decode back to frames close to the source's.
  tokenize::VisualDecoder back(tokenizer, tokenizer.id(), segments[1].meta.dump(), true);
  media::VideoDecoder reference(clip.path, options);
  media::VideoFrame truth;
  for (int i = 0; i < 3; ++i) REQUIRE(reference.next(truth));  // the first segment's frames
  double worst = 99;
  back.codes(segments[1].codes.data(), segments[1].codes.size(), [&](const media::Image& frame) {
    REQUIRE(reference.next(truth));
    worst = std::min(worst, media::psnr(frame, truth.image));
  });
  back.finish();
  CHECK(worst > 14);  // a synthetic test pattern: sharp saturated edges, far from photos
}

TEST_CASE("still patches keep their codes; a changed frame is searched again") {
  auto tokenizer = tokenize::ImageTokenizer::load(default_codebook());
  media::Image a{64, 32, std::vector<uint8_t>(64 * 32 * 3)};
  for (size_t i = 0; i < a.rgb.size(); ++i) a.rgb[i] = uint8_t(i * 7 % 251);
  std::vector<uint32_t> first, second, fresh;
  CHECK(tokenizer.encode_reusing(a, 2, first, 1, media::Image{}, nullptr, 4) == 0);
  media::Image b = a;
  for (int x = 0; x < 8 * 3; ++x) b.rgb[x] = uint8_t(255 - b.rgb[x]);  // the first patch changes
  CHECK(tokenizer.encode_reusing(b, 2, second, 1, a, first.data(), 4) == 8 * 4 - 1);
  tokenizer.encode(b, 2, fresh);
  CHECK(second[0] == fresh[0]);
  CHECK(std::equal(second.begin() + 2, second.end(), first.begin() + 2));
}
