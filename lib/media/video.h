// Video through FFmpeg: a decoder that streams frames at a chosen rate and size (any
// container and codec FFmpeg reads), and an encoder to MP4 (H.264) or GIF.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "media/image.h"

namespace mm::media {

struct VideoOptions {
  double fps = 0;         // frames per second to deliver; 0: the source's own frames
  int width = 0;          // output size; 0 for both: the source's; 0 for one: keep aspect
  int height = 0;
  double start = 0;       // seconds from the start of the video
  double duration = 0;    // seconds; 0: to the end
  int64_t max_frames = 0;  // 0: no limit
  int threads = 0;        // decoding threads; 0: one per core
};

struct VideoFrame {
  Image image;
  double timestamp = 0;  // seconds from the start of the source
  int64_t index = 0;     // among delivered frames
};

// Reads one video stream frame by frame: memory stays bounded whatever the length.
class VideoDecoder {
 public:
  // Throws mm::Error for a missing, unreadable or unsupported file, or one without video.
  VideoDecoder(const std::string& path, const VideoOptions& options);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // The next frame, or false at the end. Undecodable packets are skipped and counted.
  bool next(VideoFrame& frame);

  int width() const;   // of delivered frames
  int height() const;
  int source_width() const;  // as the stream codes them
  int source_height() const;
  // Changes the size of delivered frames; before the first next() (a caller that must see
  // the source's size to choose one, as the resize policy does).
  void set_size(int width, int height);
  double fps() const;  // of delivered frames
  double source_fps() const;
  double source_duration() const;  // seconds, 0 if unknown
  const std::string& codec() const;
  // Packets that failed to decode, and whether the input ended early: what was lost.
  uint64_t damaged_packets() const;
  bool truncated() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class VideoEncoder {
 public:
  // `format`: "mp4" (H.264 through libx264) or "gif". Writes to `path`. `threads`: encoding
  // threads, 0 for FFmpeg's choice.
  VideoEncoder(const std::string& path, const std::string& format, int width, int height, double fps,
               int threads = 0);
  ~VideoEncoder();
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  void add(const Image& frame);  // must have the size given at construction
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mm::media
