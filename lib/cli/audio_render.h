// mm-render's sound: audio segments -> WAV or FLAC (libsndfile, 16-bit), mono, at the
// source's rate by default (resampled back from the tokenizer's 16 kHz), exact to the
// sample: each segment comes back as its "source_samples" samples. A recording that
// mm-tokenize wrote as several segments ("part" 1, 2, ... after 0) becomes one file again,
// even with other segments (its video) between the parts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/files.h"
#include "media/audio.h"
#include "media/resampler.h"
#include "stream/segment.h"
#include "tokenize/tokenizer_set.h"

namespace mm::cli {

class AudioRenderer {
 public:
  // `format`: "" (from the file name: .flac is FLAC, else WAV), wav or flac. `sample_rate`:
  // 0 for the source's.
  AudioRenderer(const tokenize::TokenizerSet& tokenizers, std::string format, int sample_rate, bool force);
  ~AudioRenderer();

  static bool handles(const std::string& modality) { return modality == "audio"; }

  // `path_for(extension)` gives the file for a new recording. Throws mm::Error for a segment
  // of another tokenizer or malformed metadata, mm::UsageError for sound to stdout.
  void begin(const stream::SegmentInfo& segment, const std::function<std::string(const std::string&)>& path_for);
  void codes(const std::vector<uint32_t>& codes);
  // `defer`: keep the file uncommitted until finish() (one -o FILE for the whole stream).
  void end(bool defer);
  // Closes the open recording and commits every file; returns the names written.
  std::vector<std::string> finish();
  // Ends the open recording now (a tapped one: its last samples go to the tap's sink).
  void end_recording() { close(); }

  // A movie's sound: when set, a recording whose source is the video's (`source` true) is
  // decoded into `sink` (mono samples at `rate`) instead of a file of its own.
  struct Tap {
    std::function<bool(const std::string& source)> wants;
    std::function<void(const float* samples, size_t n)> sink;
    int rate = 48000;
  };
  void set_tap(Tap tap) { tap_ = std::move(tap); }

 private:
  void close();
  void emit(const float* samples, size_t n);

  const tokenize::TokenizerSet& tokenizers_;
  std::string format_;
  int sample_rate_;
  bool force_;
  Tap tap_;
  bool tapped_ = false;
  const tokenize::AudioTokenizer* tokenizer_ = nullptr;
  tokenize::AudioSegmentShape shape_;
  std::string source_;
  uint64_t next_part_ = 0;
  int rate_ = 0;  // of the open output
  uint64_t target_ = 0, emitted_ = 0;  // output samples the open recording must have, and has
  std::vector<uint32_t> codes_;
  std::vector<float> decoded_, resampled_;
  std::unique_ptr<media::Resampler> resampler_;
  std::unique_ptr<Output> file_;
  std::unique_ptr<media::AudioWriter> writer_;
  OutputFiles files_;
};

}  // namespace mm::cli
