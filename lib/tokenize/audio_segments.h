// Sound -> token stream, stretch by stretch: the audio of [t0, t1) becomes one audio segment,
// written and flushed before the next stretch is decoded, so memory stays bounded whatever
// the length and a consumer downstream starts on the first seconds.
//
// Each segment's metadata is AudioTokenizer::segment_metadata()'s: the samples at 16 kHz,
// the start time in the source (seconds), the source's rate and its exact sample count in
// the stretch, and "part" counting this recording's segments (0 first) so that mm-render
// joins them back into one file. Stretch boundaries are exact source samples
// (llround((t - start) * source rate)), and each stretch's 16 kHz count is the exact count
// for the source samples up to its end minus that up to its start, so the parts add up to
// the whole to the sample at either rate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "media/audio.h"
#include "media/resampler.h"
#include "stream/writer.h"
#include "tokenize/audio_tokenizer.h"

namespace mm::tokenize {

struct AudioSegmentSettings {
  double start = 0, duration = 0;  // seconds of the source; duration 0: to the end
  double seconds_per_segment = 10;  // for write_all()
  std::string role, source;
};

class AudioSegmenter {
 public:
  // Opens `path` (any format media::AudioDecoder reads, or a video's sound). Throws mm::Error.
  AudioSegmenter(const std::string& path, const AudioTokenizer& tokenizer, stream::Writer& writer,
                 AudioSegmentSettings settings);
  ~AudioSegmenter();

  // Writes the sound from where the last segment ended up to source time `until` (seconds)
  // as one segment (none when that stretch is empty); false once the sound has ended.
  bool write_until(double until);
  void write_all();

  uint64_t source_samples() const { return written_source_; }  // written so far
  int source_rate() const { return decoder_.source_rate(); }
  int segments() const { return part_; }
  uint64_t damaged_packets() const { return decoder_.damaged_packets(); }
  // After the end: whether the sound stopped short of the length its file declares (a cut
  // FLAC or MP3; libsndfile sizes a cut WAV by what is there, so that one reads as whole),
  // and a one-line account of it.
  bool truncated() const;
  std::string describe_truncation() const;

 private:
  bool read_more();  // false at the end

  const AudioTokenizer& tokenizer_;
  stream::Writer& writer_;
  AudioSegmentSettings settings_;
  media::AudioDecoder decoder_;
  media::Resampler resampler_;
  std::vector<float> block_, pending_;  // pending_: resampled, not yet written
  uint64_t read_source_ = 0, written_source_ = 0, written_ = 0;
  bool ended_ = false;
  int part_ = 0;
  std::vector<uint32_t> codes_;
};

}  // namespace mm::tokenize
