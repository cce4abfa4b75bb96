#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "error.h"
#include "media/audio.h"
#include "media/resampler.h"
#include "support.h"
#include "tokenize/audio_fit.h"
#include "tokenize/audio_quality.h"
#include "tokenize/audio_tokenizer.h"

using namespace mm;
using namespace mm::tokenize;

namespace {

const AudioTokenizer& shipped() {
  static AudioTokenizer t = AudioTokenizer::load(std::string(MM_SOURCE_DIR) + "/models/default/audio-env.bin");
  return t;
}

// Fixtures made by the test: espeak-ng speech, FFmpeg's noise and sine sources, sox music.
struct Fixtures {
  test::ScratchDir scratch{"audiotok"};
  const std::string dir = scratch.path();
  Fixtures() {
    test::run_quietly("espeak-ng -v en-us -w " + dir + "/speech.wav 'The quick brown fox jumps over the lazy dog near the river bank.'");
    test::ffmpeg("-f lavfi -i anoisesrc=color=pink:amplitude=0.3:sample_rate=16000:duration=2:seed=7 " +
        dir + "/noise.wav");
    test::ffmpeg("-f lavfi -i sine=frequency=440:sample_rate=16000:duration=1 " + dir + "/sine.wav");
    test::run_quietly("sox -R -n -r 16000 " + dir + "/chord.wav synth 2 pluck C3 pluck E3 pluck G3 pluck C4 gain -6");
  }
};

const Fixtures& fixtures() {
  static Fixtures f;
  return f;
}

std::vector<float> load16k(const std::string& path) { return media::read_mono(path, 16000); }

AudioQuality round_trip(const std::vector<float>& samples) {
  std::vector<uint32_t> codes;
  shipped().encode(samples.data(), samples.size(), codes);
  CHECK(codes.size() == shipped().codes_for(samples.size()));
  for (uint32_t c : codes) REQUIRE(c < shipped().vocab_size());
  std::vector<float> decoded;
  shipped().decode(codes.data(), codes.size(), samples.size(), decoded);
  REQUIRE(decoded.size() == samples.size());
  return measure_audio_quality(samples, decoded);
}

}  // namespace

TEST_CASE("audio tokenizer: 100 codes per second, two per 20 ms frame, 4096 codes") {
  const AudioTokenizer& t = shipped();
  CHECK(t.sample_rate() == 16000);
  CHECK(t.codes_per_second() == 100);
  CHECK(t.vocab_size() == 4096);
  CHECK(t.id().rfind("audio-env-", 0) == 0);
  CHECK(t.codes_for(16000) == 100);
  CHECK(t.codes_for(16319) == 100);  // the last frame covers the part-hop after it
  CHECK(t.codes_for(16320) == 102);
  CHECK(t.codes_for(1) == 2);        // at least one frame
  CHECK(t.codes_for(0) == 0);
  for (uint64_t n : {320u, 12345u, 48000u, 160000u}) CHECK(double(t.codes_for(n)) <= n / 16000.0 * 100 + 1e-9);
}

// Floors: the codec keeps each frame's envelope, not its waveform, so SNR is near 0 dB by
// design and the measures are loudness and log-spectral distance. On held-out real speech
// codec2 at the same 1200 bit/s scores 10.5 to 16.8 dB (narrow LSD, `make bench`); the
// floors below sit a little above what this codec scores on these fixtures (speech 10.5,
// pink noise 6.8, plucked chord 12.6 wide LSD when written) so a regression shows.
TEST_CASE("audio tokenizer: round trips keep loudness and spectral envelope") {
  const auto& f = fixtures();
  SUBCASE("speech (espeak-ng)") {
    auto q = round_trip(load16k(f.dir + "/speech.wav"));
    CHECK(std::fabs(q.loudness) < 2.0);
    CHECK(q.lsd_wide < 12.0);
    CHECK(q.lsd_narrow < 12.0);
  }
  SUBCASE("pink noise (FFmpeg anoisesrc)") {
    auto q = round_trip(load16k(f.dir + "/noise.wav"));
    CHECK(std::fabs(q.loudness) < 1.0);
    CHECK(q.lsd_wide < 8.0);
  }
  SUBCASE("plucked chord (sox)") {
    auto q = round_trip(load16k(f.dir + "/chord.wav"));
    CHECK(std::fabs(q.loudness) < 2.5);
    CHECK(q.lsd_wide < 14.0);
  }
  SUBCASE("a 440 Hz sine in digital silence: its energy stays at 440 Hz") {
    auto samples = load16k(f.dir + "/sine.wav");
    auto q = round_trip(samples);
    // A known weakness, measured: a lone tone 90 dB above silence is a shape the codebook
    // (fit on real recordings) does not hold; the encoder trades the bands' error against
    // the frame's power and it comes back about 5 dB louder, its energy spread wider.
    CHECK(std::fabs(q.loudness) < 6.0);
    std::vector<uint32_t> codes;
    std::vector<float> decoded;
    shipped().encode(samples.data(), samples.size(), codes);
    shipped().decode(codes.data(), codes.size(), samples.size(), decoded);
    // Goertzel at 440 Hz against 2000 Hz: the energy stays where the tone was.
    auto power = [&](double hz) {
      double w = 2 * M_PI * hz / 16000, s1 = 0, s2 = 0;
      for (float x : decoded) {
        double s = x + 2 * std::cos(w) * s1 - s2;
        s2 = s1;
        s1 = s;
      }
      return s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
    };
    CHECK(power(440) > 100 * power(2000));
  }
}

TEST_CASE("audio tokenizer: silence decodes to exact zeros; any length decodes to that length") {
  for (size_t n : {size_t(1), size_t(319), size_t(320), size_t(321), size_t(16000), size_t(12345)}) {
    std::vector<float> silence(n, 0.0f), decoded;
    std::vector<uint32_t> codes;
    shipped().encode(silence.data(), n, codes);
    shipped().decode(codes.data(), codes.size(), n, decoded);
    REQUIRE(decoded.size() == n);
    for (float x : decoded) REQUIRE(x == 0.0f);
  }
}

TEST_CASE("audio tokenizer: a clipped full-scale square wave stays finite, within 4 dB of its loudness") {
  std::vector<float> square(16000);
  for (size_t i = 0; i < square.size(); ++i) square[i] = (i / 20) % 2 ? 1.0f : -1.0f;
  auto q = round_trip(square);
  CHECK(std::isfinite(q.lsd_wide));
  CHECK(std::fabs(q.loudness) < 4.0);
}

TEST_CASE("audio tokenizer: decoding refuses codes that do not fit") {
  std::vector<uint32_t> codes = {0, 0, 1, 1};
  std::vector<float> out;
  CHECK_THROWS_AS(shipped().decode(codes.data(), codes.size(), 1000, out), Error);  // 4 codes != 1000 samples
  codes = {4096, 0};
  CHECK_THROWS_AS(shipped().decode(codes.data(), codes.size(), 10, out), Error);
  codes = {0, 4096};
  CHECK_THROWS_AS(shipped().decode(codes.data(), codes.size(), 10, out), Error);
}

TEST_CASE("audio codebook: serialises, parses back and refuses damage") {
  const std::string bytes = shipped().codebook().serialize();
  AudioCodebook again = AudioCodebook::parse(bytes);
  CHECK(again.serialize() == bytes);
  CHECK(AudioTokenizer(again).id() == shipped().id());
  CHECK_THROWS_AS(AudioCodebook::parse(""), Error);
  CHECK_THROWS_AS(AudioCodebook::parse(bytes.substr(0, bytes.size() - 1)), Error);
  CHECK_THROWS_AS(AudioCodebook::parse("MMAUDIO1\xff\xff\xff\x7f{}"), Error);
  std::string wrong = bytes;
  wrong[0] = 'X';
  CHECK_THROWS_AS(AudioCodebook::parse(wrong), Error);
  std::string nan = bytes;
  for (int i = 1; i <= 4; ++i) nan[nan.size() - i] = char(0xff);  // a NaN in the last value
  CHECK_THROWS_AS(AudioCodebook::parse(nan), Error);
}

TEST_CASE("audio fit: deterministic, whatever the threads; a different seed differs") {
  std::vector<float> noise = load16k(fixtures().dir + "/noise.wav"), speech = load16k(fixtures().dir + "/speech.wav");
  auto fit = [&](uint64_t seed, int threads) {
    AudioFitOptions options;
    options.shape_codes = 16;
    options.residual_codes = 4;
    options.iterations = 4;
    options.seed = seed;
    options.threads = threads;
    AudioFitter fitter(options);
    fitter.add(noise.data(), noise.size());
    fitter.add(speech.data(), speech.size());
    return fitter.fit("{}").serialize();
  };
  std::string a = fit(1, 1);
  CHECK(a == fit(1, 2));
  CHECK(a != fit(2, 1));
  AudioTokenizer small(AudioCodebook::parse(a));
  CHECK(small.vocab_size() == 64 * 4);
}

TEST_CASE("audio segment metadata: written and read back") {
  AudioSegmentShape shape;
  shape.samples = 12345;
  shape.start = 1.5;
  shape.source_sample_rate = 44100;
  shape.source_samples = 34024;
  shape.source = "a.wav";
  shape.part = 2;
  std::string json = shipped().segment_metadata(shape, "user");
  CHECK(json.find("\"modality\":\"audio\"") != std::string::npos);
  CHECK(json.find("\"codes_per_second\":100") != std::string::npos);
  AudioSegmentShape back = AudioTokenizer::parse_segment_shape(json);
  CHECK(back.samples == 12345);
  CHECK(back.start == 1.5);
  CHECK(back.source_sample_rate == 44100);
  CHECK(back.source_samples == 34024);
  CHECK(back.part == 2);
  CHECK_THROWS_AS(AudioTokenizer::parse_segment_shape("{\"samples\":-1}"), Error);
  CHECK_THROWS_AS(AudioTokenizer::parse_segment_shape("{}"), Error);
}

TEST_CASE("resampler: exactly llround(n * out / in) samples, whatever the blocks") {
  for (auto [in, out] : {std::pair{44100, 16000}, {16000, 44100}, {8000, 16000}, {192000, 16000}, {16000, 16000}}) {
    std::vector<float> x(12345, 0.25f), y;
    media::Resampler r(in, out);
    for (size_t at = 0; at < x.size(); at += 1000) r.push(x.data() + at, std::min<size_t>(1000, x.size() - at), y);
    r.finish(y);
    CHECK(y.size() == media::Resampler::output_count(x.size(), in, out));
    CHECK(y.size() == size_t(std::llround(12345.0 * out / in)));
    CHECK(std::fabs(y[y.size() / 2] - 0.25f) < 0.01f);  // a constant stays that constant
  }
}
