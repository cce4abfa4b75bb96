// Video -> token stream, chunk by chunk: the frames of one stretch of time become one video
// segment, written and flushed before the next stretch is decoded, so a consumer downstream
// starts on the first frames while the rest decode and memory stays bounded.
//
// For the audio interleaving in mm-tokenize (video [t, t+T), audio [t, t+T), ...):
//
//   media::VideoDecoder decoder(path, options);
//   tokenize::VideoSegmenter video(decoder, image_tokenizer, writer, settings);
//   for (double t = settings.start + T; video.write_until(t); t += T)
//     ... write the audio segment for [t - T, t) ...
//   ... then the damage report: decoder.damaged_packets(), decoder.truncated()
//
// write_until(t) writes the frames whose timestamps are below t as one video segment (none
// when no frame falls there) and returns false once the video has no frames left.
// write_all() is the loop without audio: segments of `seconds_per_segment`.
// Frames are decoded on a thread of their own, a few ahead of the one being encoded; the
// decoder's damage report (damaged_packets(), truncated()) is complete once
// write_until() has returned false.
// Each segment's metadata is tokenize/visual_metadata.h's, with "part" counting the
// segments of this video (0 first), so mm-render joins them back into one file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "media/resize.h"
#include "media/video.h"
#include "stream/writer.h"
#include "tokenize/image_tokenizer.h"
#include "tokenize/visual_metadata.h"

namespace mm::tokenize {

struct VideoSegmentSettings {
  media::SizePolicy size;        // the resize policy (media/resize.h)
  // Residual levels; 0: one. Video spends one level where images spend all the codebook's
  // (3 by default): at 4 fps a 256x256 video is 4096 codes a second at one level and
  // 12288 at three, and a backbone's context pays for every code.
  int levels = 0;
  std::string role;              // system, user, assistant or empty
  std::string source;            // for the metadata; empty: none
  double seconds_per_segment = 1;  // for write_all()
  int threads = 1;               // for encoding each frame
  // A patch that changed by at most this mean squared error per sample since the frame
  // before keeps that frame's codes without a search (ImageTokenizer::encode_reusing);
  // negative: every patch is searched.
  double reuse_below = 4;
  std::function<void(int64_t frames)> progress;  // after each frame, optional
};

class FramePrefetch;

class VideoSegmenter {
 public:
  // Sets the decoder's frame size from the policy; before the decoder's first frame.
  VideoSegmenter(media::VideoDecoder& decoder, const ImageTokenizer& tokenizer, stream::Writer& writer,
                 VideoSegmentSettings settings);
  ~VideoSegmenter();  // stops the decoding thread

  bool write_until(double until);
  void write_all();

  int64_t frames() const { return frames_; }      // written so far
  uint64_t patches() const { return patches_; }   // encoded so far, and of them
  uint64_t reused_patches() const { return reused_; }  // those whose codes were kept
  int segments() const { return part_; }          // written so far
  double last_timestamp() const { return last_; }
  const media::Placement& placement() const { return placement_; }

 private:
  bool fill();  // makes pending_ valid unless the video ended

  media::VideoDecoder& decoder_;
  std::unique_ptr<FramePrefetch> prefetch_;  // decodes the next frames while this one is encoded
  const ImageTokenizer& tokenizer_;
  stream::Writer& writer_;
  VideoSegmentSettings settings_;
  media::Placement placement_;
  VisualGeometry geometry_;
  media::VideoFrame pending_;
  bool pending_valid_ = false, ended_ = false;
  int64_t frames_ = 0;
  int part_ = 0;
  double last_ = 0;
  std::vector<uint32_t> codes_;
  media::Image previous_;                 // the last frame encoded, and its codes
  std::vector<uint32_t> previous_codes_;
  uint64_t patches_ = 0, reused_ = 0;
};

}  // namespace mm::tokenize
