#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "media/image_io.h"
#include "media/quality.h"
#include "media/resize.h"
#include "support.h"

using namespace mm;
using namespace mm::media;

using mm::test::error_of;

namespace {

// A smooth test picture with some edges: gradients and a bright square.
Image test_picture(int w, int h) {
  Image image;
  image.width = w;
  image.height = h;
  image.rgb.resize(size_t(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      bool square = x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2;
      uint8_t* p = &image.rgb[(size_t(y) * w + x) * 3];
      p[0] = square ? 250 : uint8_t(x * 255 / w);
      p[1] = square ? 240 : uint8_t(y * 255 / h);
      p[2] = uint8_t((x + y) * 127 / (w + h));
    }
  return image;
}

std::string_view view(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

uint32_t crc32(const uint8_t* data, size_t n) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

// A PNG signature, an IHDR chunk claiming `w` x `h` pixels and an empty IDAT: a header
// that reads, then no pixels.
std::string png_header(uint32_t w, uint32_t h) {
  std::vector<uint8_t> chunk = {'I', 'H', 'D', 'R'};
  for (uint32_t v : {w, h})
    for (int i = 3; i >= 0; --i) chunk.push_back(uint8_t(v >> (8 * i)));
  for (uint8_t b : {8, 2, 0, 0, 0}) chunk.push_back(b);  // 8-bit RGB
  std::string out = "\x89PNG\r\n\x1a\n";
  out += std::string("\0\0\0\x0d", 4);
  out.append(chunk.begin(), chunk.end());
  uint32_t crc = crc32(chunk.data(), chunk.size());
  for (int i = 3; i >= 0; --i) out.push_back(char(crc >> (8 * i)));
  const uint8_t idat[] = {'I', 'D', 'A', 'T'};
  out += std::string("\0\0\0\0IDAT", 8);
  crc = crc32(idat, 4);
  for (int i = 3; i >= 0; --i) out.push_back(char(crc >> (8 * i)));
  return out;
}

}  // namespace

TEST_CASE("PNG round-trips exactly; JPEG and WebP come back close") {
  Image picture = test_picture(67, 41);  // odd sides on purpose
  Image back = decode_image(view(encode_image(picture, ImageFormat::Png)), "png");
  CHECK(back.width == 67);
  CHECK(back.height == 41);
  CHECK(back.rgb == picture.rgb);
  for (ImageFormat format : {ImageFormat::Jpeg, ImageFormat::Webp}) {
    auto bytes = encode_image(picture, format);
    Image lossy = decode_image(view(bytes), "lossy");
    REQUIRE(lossy.width == 67);
    CHECK(psnr(picture, lossy) > 25);  // sharp colour edges in a tiny picture: 4:2:0 costs
    CHECK(ssim(picture, lossy) > 0.9);
  }
  // A higher JPEG quantiser makes a smaller file.
  CHECK(encode_image(picture, ImageFormat::Jpeg, {31}).size() < encode_image(picture, ImageFormat::Jpeg, {2}).size());
}

TEST_CASE("real photos of every format FFmpeg and libpng read") {
  const std::string data = MM_OPENCV_DATA;
  Image jpeg = read_image(data + "/fruits.jpg");
  CHECK(jpeg.width == 512);
  CHECK(jpeg.height == 480);
  Image gray = read_image(data + "/left01.jpg");  // grayscale JPEG comes out as RGB
  CHECK(gray.rgb[0] == gray.rgb[1]);
  Image rgba = read_image(data + "/opencv-logo.png");  // transparency onto white
  CHECK(rgba.rgb[0] == 255);
  CHECK(rgba.rgb[1] == 255);
  test::ScratchDir scratch("image");
  const std::string& dir = scratch.path();
  for (std::string ext : {"bmp", "tiff", "webp"}) {
    test::ffmpeg("-i " + data + "/home.jpg " + dir + "/home." + ext);
    Image image = read_image(dir + "/home." + ext);
    CHECK(image.width == 512);
    CHECK(image.height == 384);
    if (ext != "webp") CHECK(psnr(image, read_image(data + "/home.jpg")) > 40);
  }
}

TEST_CASE("bad image input is one clear error") {
  CHECK(error_of([] { decode_image("", "a.png"); }) == "a.png: empty file (zero bytes)");
  CHECK(error_of([] { decode_image("this is not a picture at all", "x.jpg"); }).find("x.jpg: not an image format") == 0);
  CHECK(error_of([] { decode_image(png_header(100000, 100000), "big.png"); }) ==
        "big.png: image of 100000x100000 pixels (sides must be 1 to 16384)");
  CHECK(error_of([] { decode_image(png_header(64, 64), "cut.png"); }).find("cut.png: corrupt PNG") == 0);
  Image picture = test_picture(40, 30);
  auto jpeg = encode_image(picture, ImageFormat::Jpeg);
  CHECK(error_of([&] { decode_image(view(jpeg).substr(0, 20), "cut.jpg"); }).find("cut.jpg: ") == 0);
  CHECK(error_of([] { read_image("/"); }) == "/: is a directory, not an image");
  CHECK(error_of([] { read_image("/nonexistent.png"); }) == "/nonexistent.png: no such file");
  CHECK_THROWS_AS(image_format_named("gif"), UsageError);
}

TEST_CASE("the resize policy: long side, pad, crop, patch multiples") {
  SizePolicy long_side = parse_size("256");
  Placement p = place(512, 384, long_side, 8);
  CHECK(p.scaled_width == 256);
  CHECK(p.scaled_height == 192);
  CHECK(p.frame_width == 256);
  CHECK(p.frame_height == 192);
  // Never enlarged; sides rounded up to whole patches, the picture at the corner.
  p = place(61, 30, long_side, 8);
  CHECK(p.scaled_width == 61);
  CHECK(p.frame_width == 64);
  CHECK(p.frame_height == 32);
  CHECK(p.content_width == 61);
  // WxH with padding: fits inside, centred.
  SizePolicy box = parse_size("128x128");
  p = place(400, 200, box, 8);
  CHECK(p.scaled_width == 128);
  CHECK(p.scaled_height == 64);
  CHECK(p.y == 32);
  CHECK(p.frame_height == 128);
  // WxH with crop: covers, the overflow cut in the middle.
  box.fit = parse_fit("crop");
  p = place(400, 200, box, 8);
  CHECK(p.scaled_width == 256);
  CHECK(p.scaled_height == 128);
  CHECK(p.crop_x == 64);
  CHECK(p.content_width == 128);
  Image frame = compose(resize(test_picture(400, 200), p.scaled_width, p.scaled_height), p);
  CHECK(frame.width == 128);
  CHECK(frame.height == 128);
  CHECK_THROWS_AS(parse_size("0"), UsageError);
  CHECK_THROWS_AS(parse_size("20000x10"), UsageError);
  CHECK_THROWS_AS(parse_size("12x"), UsageError);
  CHECK_THROWS_AS(parse_size("big"), UsageError);
  CHECK_THROWS_AS(parse_fit("stretch"), UsageError);
}

TEST_CASE("resizing gives the same pixels wherever the picture lies in memory") {
  // swscale's code paths depend on its buffers' alignment; copies of one picture at every
  // 16-byte offset of a 64-byte line must scale, up and down, to the same bytes.
  Image source = test_picture(333, 250);
  std::vector<Image> copies;
  std::vector<std::vector<uint8_t>> spacers;
  bool seen[4] = {};
  for (int tries = 0; tries < 400 && !(seen[0] && seen[1] && seen[2] && seen[3]); ++tries) {
    spacers.emplace_back(size_t(16 + 16 * (tries % 5)));
    copies.push_back(source);
    int offset = int(reinterpret_cast<uintptr_t>(copies.back().rgb.data()) % 64 / 16);
    if (seen[offset]) copies.pop_back();
    seen[offset] = true;
  }
  REQUIRE(copies.size() >= 2);
  for (auto [w, h] : {std::pair{150, 113}, std::pair{517, 388}}) {
    Image first = resize(copies[0], w, h);
    for (const Image& copy : copies) CHECK(resize(copy, w, h).rgb == first.rgb);
  }
}

TEST_CASE("compose pads by repeating edges and crop takes the picture back") {
  Image picture = test_picture(30, 20);
  SizePolicy policy = parse_size("64x64");
  Placement p = place(30, 20, policy, 16);
  Image scaled = resize(picture, p.scaled_width, p.scaled_height);
  Image frame = compose(scaled, p);
  CHECK(frame.width == 64);
  Image back = crop(frame, p.x, p.y, p.content_width, p.content_height);
  CHECK(back.rgb == scaled.rgb);
  // The row above the picture repeats its first row.
  CHECK(std::equal(&frame.rgb[(size_t(p.y - 1) * 64 + p.x) * 3], &frame.rgb[(size_t(p.y - 1) * 64 + p.x) * 3] + 3,
                   &frame.rgb[(size_t(p.y) * 64 + p.x) * 3]));
  CHECK_THROWS_AS(crop(frame, 60, 0, 10, 10), Error);
}
