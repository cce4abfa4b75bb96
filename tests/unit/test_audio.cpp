#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "error.h"
#include "media/audio.h"
#include "support.h"

using namespace mm;
using namespace mm::media;

namespace {

struct Fixtures {
  test::ScratchDir scratch{"audio"};
  const std::string dir = scratch.path();
  Fixtures() {
    using test::ffmpeg;
    const std::string sine = "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=1 -ac 2 ";
    ffmpeg(sine + dir + "/sine.wav");
    ffmpeg(sine + dir + "/sine.flac");
    ffmpeg(sine + "-c:a libvorbis " + dir + "/sine.ogg");
    ffmpeg(sine + "-c:a libmp3lame " + dir + "/sine.mp3");
    ffmpeg(sine + "-c:a libopus " + dir + "/sine.opus");
    ffmpeg(sine + "-c:a aac " + dir + "/sine.m4a");
    ffmpeg("-f lavfi -i sine=frequency=1000:sample_rate=8000:duration=0.5 " + dir + "/low.wav");
    ffmpeg("-f lavfi -i sine=frequency=1000:sample_rate=192000:duration=0.5 " + dir + "/high.wav");
    ffmpeg("-f lavfi -i testsrc=size=64x48:rate=10 -f lavfi -i sine=frequency=300:sample_rate=48000 -t 1 "
           "-c:v libx264 -pix_fmt yuv420p -c:a aac " + dir + "/movie.mp4");
  }
};

const Fixtures& fixtures() {
  static Fixtures f;
  return f;
}

std::vector<float> decode_all(const std::string& path, AudioOptions options, AudioDecoder** keep = nullptr) {
  static std::unique_ptr<AudioDecoder> last;
  last = std::make_unique<AudioDecoder>(path, options);
  std::vector<float> samples;
  while (last->read(samples, 1000) > 0) {
  }
  if (keep) *keep = last.get();
  return samples;
}

// Frequency from zero crossings of a mono signal.
double frequency(const std::vector<float>& mono, int rate) {
  int crossings = 0;
  for (size_t i = 1; i < mono.size(); ++i) crossings += (mono[i - 1] < 0) != (mono[i] < 0);
  return crossings / 2.0 / (double(mono.size()) / rate);
}

}  // namespace

TEST_CASE("audio: WAV, FLAC and Ogg through libsndfile, at the source's rate and channels") {
  for (const char* name : {"sine.wav", "sine.flac", "sine.ogg"}) {
    CAPTURE(name);
    AudioDecoder* decoder = nullptr;
    auto samples = decode_all(fixtures().dir + "/" + name, {}, &decoder);
    CHECK(decoder->backend() == "libsndfile");
    CHECK(decoder->channels() == 2);
    CHECK(decoder->sample_rate() == 44100);
    CHECK(samples.size() == 2 * 44100);
  }
}

TEST_CASE("audio: MP3, Opus, AAC and a video's sound through FFmpeg") {
  for (const char* name : {"sine.mp3", "sine.opus", "sine.m4a", "movie.mp4"}) {
    CAPTURE(name);
    AudioOptions mono;
    mono.channels = 1;
    mono.sample_rate = 16000;
    AudioDecoder* decoder = nullptr;
    auto samples = decode_all(fixtures().dir + "/" + name, mono, &decoder);
    // Debian's libsndfile also reads MP3 and Opus; AAC and video containers need FFmpeg.
    std::string n = name;
    if (n == "sine.m4a" || n == "movie.mp4") CHECK(decoder->backend() == "ffmpeg");
    CHECK(double(samples.size()) == doctest::Approx(16000).epsilon(0.08));
    CHECK(frequency(samples, 16000) == doctest::Approx(std::string(name) == "movie.mp4" ? 300 : 440).epsilon(0.03));
  }
}

TEST_CASE("audio: resampling keeps the duration to the sample and the pitch") {
  AudioOptions options;
  options.sample_rate = 16000;
  options.channels = 1;
  auto samples = decode_all(fixtures().dir + "/sine.wav", options);
  CHECK(samples.size() == 16000);
  CHECK(frequency(samples, 16000) == doctest::Approx(440).epsilon(0.01));
  CHECK(decode_all(fixtures().dir + "/low.wav", options).size() == 8000);
  CHECK(decode_all(fixtures().dir + "/high.wav", options).size() == 8000);
  options.sample_rate = 24000;
  CHECK(decode_all(fixtures().dir + "/low.wav", options).size() == 12000);
}

TEST_CASE("audio: start and duration") {
  AudioOptions options;
  options.start = 0.25;
  options.duration = 0.5;
  options.channels = 1;
  CHECK(decode_all(fixtures().dir + "/sine.wav", options).size() == 22050);
  options.sample_rate = 16000;
  CHECK(decode_all(fixtures().dir + "/sine.wav", options).size() == 8000);
}

TEST_CASE("audio: WAV and FLAC written and read back") {
  auto samples = decode_all(fixtures().dir + "/sine.wav", {});
  for (const char* format : {"wav", "flac"}) {
    std::string path = fixtures().dir + "/out." + format;
    AudioWriter writer(path, format, 44100, 2);
    writer.write(samples.data(), samples.size() / 2);
    writer.finish();
    auto back = decode_all(path, {});
    REQUIRE(back.size() == samples.size());
    float worst = 0;
    for (size_t i = 0; i < back.size(); ++i) worst = std::max(worst, std::fabs(back[i] - samples[i]));
    CAPTURE(format);
    CHECK(worst < 2.0f / 32768);
  }
  CHECK_THROWS_AS(AudioWriter(fixtures().dir + "/x.mp3", "mp3", 44100, 2), UsageError);
}

TEST_CASE("audio: bad inputs") {
  CHECK_THROWS_AS(AudioDecoder(fixtures().dir + "/missing.wav", {}), Error);
  CHECK_THROWS_AS(AudioDecoder("/usr/share/common-licenses/GPL-3", {}), Error);
  std::ofstream(fixtures().dir + "/empty.wav").close();
  CHECK_THROWS_AS(AudioDecoder(fixtures().dir + "/empty.wav", {}), Error);
  AudioOptions bad;
  bad.sample_rate = -5;
  CHECK_THROWS_AS(AudioDecoder(fixtures().dir + "/sine.wav", bad), UsageError);
}
