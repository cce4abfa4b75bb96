// The default audio tokenizer: 100 codes per second of any sound (speech, music, noise).
//
// What it hears: mono (the mean of the source's channels) at 16 kHz. Every 20 ms frame
// (a 640-sample Hann window centred on its 320-sample hop, zero-padded to a 1024-point
// FFT) becomes the energies of 24 mel-spaced bands in dB, split into a gain (their mean)
// and a shape (the rest). Two codes per frame, always in this order:
//   1. the shape: the nearest of 4096 shapes (k-means on real recordings, mm-fit-audio);
//   2. gain level * 64 + residual: the gain on a uniform 1.75 dB scale (level 0 is
//      silence) and the nearest of 64 corrections of the shape (a second k-means stage).
// Decoding draws noise with that spectral envelope (phases from a fixed-seed generator)
// and overlap-adds it with a sine window, so the sound comes back with its envelope and
// loudness, not its waveform: a vocoder's trade, at 1200 bits per second.
//
// A recording of n samples takes floor(n / 320) frames (at least one); the segment metadata
// carries n (and the source's rate and sample count), so durations come back exact to the
// sample.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenize/audio_codebook.h"

namespace mm::tokenize {

// Band levels of one frame: what the encoder quantises and mm-fit-audio clusters.
class AudioAnalyzer {
 public:
  explicit AudioAnalyzer(const AudioCodebook& geometry);
  ~AudioAnalyzer();
  // `samples` (n of them, at the codebook's rate) -> ceil(n / hop) frames of bands() dB
  // levels, appended to `levels`.
  void analyze(const float* samples, size_t n, std::vector<float>& levels) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Where an audio segment's sound sits; everything needed to render it back.
struct AudioSegmentShape {
  uint64_t samples = 0;            // at the tokenizer's rate
  double start = 0;                // seconds from the start of the source
  int source_sample_rate = 0;      // 0: the tokenizer's
  uint64_t source_samples = 0;     // at the source's rate; 0: samples
  std::string source;              // file name, or empty
  uint64_t part = 0;               // > 0: continues the previous segment of the same source
};

class AudioTokenizer {
 public:
  explicit AudioTokenizer(AudioCodebook codebook);
  ~AudioTokenizer();
  AudioTokenizer(AudioTokenizer&&) noexcept;
  // Throws mm::Error for an unreadable or malformed file.
  static AudioTokenizer load(const std::string& path);

  // "audio-env-" and 16 hex digits of the XXH3-64 of the codebook file.
  const std::string& id() const { return id_; }
  uint32_t vocab_size() const { return codebook_.vocab_size(); }
  int sample_rate() const { return codebook_.sample_rate; }
  static constexpr int kCodesPerFrame = 2;
  double frame_rate() const { return double(codebook_.sample_rate) / codebook_.hop; }
  double codes_per_second() const { return frame_rate() * kCodesPerFrame; }
  const AudioCodebook& codebook() const { return codebook_; }

  // Whole hops (the last frame also covers the part-hop after it), at least one: never
  // more than 100 codes a second, except for sound shorter than a frame.
  uint64_t frames_for(uint64_t samples) const {
    return samples == 0 ? 0 : std::max<uint64_t>(1, samples / uint64_t(codebook_.hop));
  }
  uint64_t codes_for(uint64_t samples) const { return frames_for(samples) * kCodesPerFrame; }

  // Mono samples at sample_rate() -> codes_for(n) codes, appended.
  void encode(const float* samples, size_t n, std::vector<uint32_t>& codes) const;
  // Codes -> exactly `samples` samples, appended. Throws mm::Error when the codes cannot be
  // this tokenizer's for that many samples (count, range).
  void decode(const uint32_t* codes, size_t n, uint64_t samples, std::vector<float>& out) const;

  // The complete metadata JSON of an audio segment of this shape (what mm-tokenize writes
  // and mm-generate writes for generated sound): modality, tokenizer, vocab_size,
  // sample_rate, codes_per_second, codes_per_frame, samples, start, and the source's.
  std::string segment_metadata(const AudioSegmentShape& shape, const std::string& role = "") const;
  // Reads back what segment_metadata() wrote. Throws mm::Error when a field is missing or
  // inconsistent (for example a sample count that needs another number of codes).
  static AudioSegmentShape parse_segment_shape(const std::string& metadata_json);

 private:
  AudioCodebook codebook_;
  std::string id_;
  std::unique_ptr<AudioAnalyzer> analyzer_;
  struct Synth;
  std::unique_ptr<Synth> synth_;
};

}  // namespace mm::tokenize
