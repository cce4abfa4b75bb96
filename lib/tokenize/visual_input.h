// Images and videos into a token stream: the resize policy, the tokenizer and the segment
// metadata together, for mm-tokenize (and anything else that writes visual segments).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "media/image.h"
#include "media/video.h"
#include "media/resize.h"
#include "stream/writer.h"
#include "tokenize/image_tokenizer.h"
#include "tokenize/video_segments.h"

namespace mm::tokenize {

struct VisualOptions {
  media::SizePolicy size;    // media/resize.h
  int levels = 0;            // residual levels; 0: all the codebook has for images, 1 for video
  double fps = 4;            // video: frames per second to tokenize; 0: every source frame
  double start = 0, duration = 0;  // video: seconds; duration 0: to the end
  int64_t max_frames = 0;    // video: 0: no limit
  double reuse_below = 4;    // video: see VideoSegmentSettings::reuse_below
  int threads = 1;
  std::string role, source;  // for the metadata
  std::function<void(int64_t frames)> progress;
};

// What the options mean to the video decoder and to the segmenter: one place for every
// path that tokenizes video (pictures alone, or pictures with their sound).
media::VideoOptions video_decoder_options(const VisualOptions& options);
VideoSegmentSettings video_segment_settings(const VisualOptions& options);

// One image segment: the picture resized by the policy, its codes and metadata.
void write_image_segment(const media::Image& image, const ImageTokenizer& tokenizer, stream::Writer& writer,
                         const VisualOptions& options);

// What decoding a video lost, for the one-line report.
struct VideoReport {
  int64_t frames = 0;       // tokenized
  int segments = 0;
  uint64_t patches = 0, reused_patches = 0;  // patches encoded; those that kept the last frame's codes
  uint64_t damaged_packets = 0;
  bool truncated = false;   // the input ended before the length its container declares
  double last_timestamp = 0, source_duration = 0;
  bool lost() const { return damaged_packets > 0 || truncated; }
  std::string describe() const;  // "3 damaged packets skipped; ..."
};

// The video at `path` as video segments of one second each, flushed as they are made.
// Throws mm::Error when the file cannot be opened or no frame decodes.
VideoReport write_video_segments(const std::string& path, const ImageTokenizer& tokenizer, stream::Writer& writer,
                                 const VisualOptions& options);

}  // namespace mm::tokenize
