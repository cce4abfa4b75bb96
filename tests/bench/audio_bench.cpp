// mm-bench-audio: the numbers behind the audio tokenizer's claims, for scripts/audio-bench.sh.
//   mm-bench-audio metrics REFERENCE DECODED   log-spectral distances and SNR of DECODED
//   mm-bench-audio codec CODEBOOK FILE...      the tokenizer's own round trip: the same
//                                              metrics plus encode/decode speed on one core
// Both files are heard as mono 16 kHz; the measures are tokenize/audio_quality.h's.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "error.h"
#include "media/audio.h"
#include "tokenize/audio_tokenizer.h"
#include "tokenize/audio_quality.h"

namespace {

using namespace mm;

std::vector<float> load(const std::string& path) { return media::read_mono(path, 16000); }

using Metrics = tokenize::AudioQuality;

Metrics measure(const std::vector<float>& reference, const std::vector<float>& decoded) {
  return tokenize::measure_audio_quality(reference, decoded);
}

void print(const std::string& name, const Metrics& m) {
  std::printf("%s lsd_wide=%.2f lsd_narrow=%.2f snr=%.2f loudness=%.2f lag=%ld\n", name.c_str(), m.lsd_wide, m.lsd_narrow, m.snr, m.loudness, m.lag);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "metrics" && argc == 4) {
      print(argv[3], measure(load(argv[2]), load(argv[3])));
      return 0;
    }
    if (mode == "codec" && argc >= 4) {
      auto tokenizer = tokenize::AudioTokenizer::load(argv[2]);
      for (int i = 3; i < argc; ++i) {
        std::vector<float> samples = load(argv[i]);
        std::vector<uint32_t> codes;
        std::vector<float> decoded;
        using clock = std::chrono::steady_clock;
        auto t0 = clock::now();
        tokenizer.encode(samples.data(), samples.size(), codes);
        auto t1 = clock::now();
        tokenizer.decode(codes.data(), codes.size(), samples.size(), decoded);
        auto t2 = clock::now();
        double seconds = double(samples.size()) / tokenizer.sample_rate();
        Metrics m = measure(samples, decoded);
        std::printf("%s lsd_wide=%.2f lsd_narrow=%.2f snr=%.2f loud=%.2f codes_per_second=%.1f encode_x=%.0f decode_x=%.0f\n",
                    argv[i], m.lsd_wide, m.lsd_narrow, m.snr, m.loudness, double(codes.size()) / seconds,
                    seconds / std::chrono::duration<double>(t1 - t0).count(),
                    seconds / std::chrono::duration<double>(t2 - t1).count());
      }
      return 0;
    }
    std::fprintf(stderr, "usage: mm-bench-audio metrics REFERENCE DECODED | codec CODEBOOK FILE...\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mm-bench-audio: %s\n", e.what());
    return 1;
  }
}
