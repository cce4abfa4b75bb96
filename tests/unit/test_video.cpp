#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "error.h"
#include "media/video.h"
#include "support.h"

using namespace mm;
using namespace mm::media;

namespace {

// Fixtures made by FFmpeg's test sources in a scratch directory, once per run.
struct Fixtures {
  test::ScratchDir scratch{"video"};
  const std::string dir = scratch.path();
  Fixtures() {
    using test::ffmpeg;
    ffmpeg("-f lavfi -i testsrc=size=160x120:rate=25 -t 2 -c:v libx264 -pix_fmt yuv420p " + dir + "/test.mp4");
    ffmpeg("-f lavfi -i testsrc2=size=96x64:rate=10 -t 3 -c:v mjpeg " + dir + "/test.avi");
    ffmpeg("-f lavfi -i testsrc=size=64x48:rate=5 -t 2 -c:v libvpx-vp9 " + dir + "/test.webm");
  }
};

const Fixtures& fixtures() {
  static Fixtures f;
  return f;
}

std::vector<VideoFrame> decode_all(const std::string& path, VideoOptions options = {}) {
  VideoDecoder decoder(path, options);
  std::vector<VideoFrame> frames;
  VideoFrame frame;
  while (decoder.next(frame)) frames.push_back(frame);
  return frames;
}

double psnr(const Image& a, const Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) sum += std::pow(double(a.rgb[i]) - b.rgb[i], 2);
  double mse = sum / a.rgb.size();
  return mse == 0 ? 99 : 10 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace

TEST_CASE("video: every source frame, with its timestamp") {
  auto frames = decode_all(fixtures().dir + "/test.mp4");
  REQUIRE(frames.size() == 50);
  CHECK(frames[0].image.width == 160);
  CHECK(frames[0].image.height == 120);
  CHECK(frames[0].timestamp == doctest::Approx(0));
  CHECK(frames[49].timestamp == doctest::Approx(49 / 25.0));
  for (size_t i = 1; i < frames.size(); ++i) CHECK(frames[i].timestamp > frames[i - 1].timestamp);
}

TEST_CASE("video: a chosen rate, size, start, duration and frame limit") {
  VideoOptions options;
  options.fps = 10;
  auto frames = decode_all(fixtures().dir + "/test.mp4", options);
  CHECK(frames.size() == 20);
  CHECK(frames[7].timestamp == doctest::Approx(0.7));

  options.width = 80;
  options.start = 1;
  options.duration = 0.5;
  frames = decode_all(fixtures().dir + "/test.mp4", options);
  REQUIRE(frames.size() == 5);
  CHECK(frames[0].timestamp == doctest::Approx(1.0));
  CHECK(frames[0].image.height == 60);

  options = {};
  options.fps = 50;  // faster than the source: frames repeat
  options.max_frames = 7;
  frames = decode_all(fixtures().dir + "/test.mp4", options);
  REQUIRE(frames.size() == 7);
  CHECK(frames[0].image.rgb == frames[1].image.rgb);
}

TEST_CASE("video: other containers and codecs, and a real recording") {
  CHECK(decode_all(fixtures().dir + "/test.avi").size() == 30);
  CHECK(decode_all(fixtures().dir + "/test.webm").size() == 10);
  VideoOptions options;
  options.max_frames = 10;
  auto frames = decode_all(MM_OPENCV_DATA "/vtest.avi", options);
  CHECK(frames.size() == 10);
  CHECK(frames[0].image.width == 768);
}

TEST_CASE("video: encode to MP4 and GIF, then decode what was written") {
  auto frames = decode_all(fixtures().dir + "/test.avi");
  for (std::string format : {"mp4", "gif"}) {
    std::string path = fixtures().dir + "/out." + format;
    {
      VideoEncoder encoder(path, format, 96, 64, 10);
      for (const auto& f : frames) encoder.add(f.image);
      encoder.finish();
    }
    auto back = decode_all(path);
    CAPTURE(format);
    REQUIRE(back.size() == frames.size());
    CHECK(back[29].timestamp == doctest::Approx(2.9));
    if (format == "mp4") CHECK(psnr(back[12].image, frames[12].image) > 30);
  }
  VideoEncoder odd(fixtures().dir + "/odd.mp4", "mp4", 33, 17, 5);  // odd sides are padded for 4:2:0
  Image image{33, 17, std::vector<uint8_t>(33 * 17 * 3, 128)};
  odd.add(image);
  odd.finish();
  CHECK_THROWS_AS(odd.add(Image{2, 2, std::vector<uint8_t>(12)}), Error);
}

TEST_CASE("video: damaged and wrong inputs") {
  std::string cut = fixtures().dir + "/cut.avi";
  test::ffmpeg("-f lavfi -i testsrc2=size=96x64:rate=10 -t 3 -c:v mjpeg " + cut);
  std::filesystem::resize_file(cut, std::filesystem::file_size(cut) / 2);
  VideoDecoder decoder(cut, {});
  VideoFrame frame;
  int frames = 0;
  while (decoder.next(frame)) ++frames;
  CHECK(frames > 5);
  CHECK(frames < 30);
  CHECK(decoder.truncated());

  CHECK_THROWS_AS(VideoDecoder(fixtures().dir + "/missing.mp4", {}), Error);
  CHECK_THROWS_AS(VideoDecoder("/usr/share/common-licenses/GPL-3", {}), Error);
  VideoOptions bad;
  bad.fps = -1;
  CHECK_THROWS_AS(VideoDecoder(fixtures().dir + "/test.mp4", bad), UsageError);
}
