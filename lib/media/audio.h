// Audio: a streaming decoder (WAV, FLAC, Ogg through libsndfile; MP3, AAC, Opus and the
// sound of any video through FFmpeg) that delivers float samples at a chosen rate and
// channel count, and a WAV/FLAC writer (libsndfile).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mm::media {

struct AudioOptions {
  int sample_rate = 0;  // 0: the source's
  int channels = 0;     // 0: the source's; 1: mono, the mean of the source's channels
  double start = 0;     // seconds
  double duration = 0;  // seconds; 0: to the end
};

class AudioDecoder {
 public:
  // Throws mm::Error for a missing, unreadable or unsupported file, or one without sound.
  AudioDecoder(const std::string& path, const AudioOptions& options);
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  // Appends up to `max_frames` frames (interleaved samples in [-1, 1]) to `samples`;
  // returns how many, 0 at the end. Memory stays bounded whatever the length.
  size_t read(std::vector<float>& samples, size_t max_frames);

  int sample_rate() const;  // of what read() delivers
  int channels() const;
  int source_rate() const;
  int source_channels() const;
  double source_duration() const;  // seconds, 0 if unknown
  const std::string& backend() const;  // "libsndfile" or "ffmpeg"
  uint64_t damaged_packets() const;    // FFmpeg packets that failed to decode

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The whole recording as mono samples at `sample_rate`, for fitting and measuring where
// all of it is needed at once (memory grows with the length; streaming uses AudioDecoder).
std::vector<float> read_mono(const std::string& path, int sample_rate);

class AudioWriter {
 public:
  // `format`: "wav" (16-bit PCM) or "flac" (16-bit). Throws mm::Error.
  AudioWriter(const std::string& path, const std::string& format, int sample_rate, int channels);
  ~AudioWriter();
  AudioWriter(const AudioWriter&) = delete;
  AudioWriter& operator=(const AudioWriter&) = delete;
  void write(const float* samples, size_t frames);  // interleaved; clipped to [-1, 1]
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mm::media
