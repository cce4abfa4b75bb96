// mm-render's images and videos: segments -> PNG, JPEG or WebP files, and MP4 (H.264) or
// GIF videos at the segment's fps. A video that mm-tokenize wrote as several segments
// ("part" 1, 2, ... after 0) becomes one file again, even with other segments (its sound)
// between the parts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/files.h"
#include "media/image_io.h"
#include "media/video.h"
#include "stream/segment.h"
#include "tokenize/tokenizer_set.h"
#include "tokenize/visual_decoder.h"

namespace mm::cli {

class VisualRenderer {
 public:
  // `format`: "" (from the file name, else png / mp4), png, jpeg, webp, mp4 or gif.
  // `quality`: JPEG quantiser 2-31 or WebP quality 0-100; 0: the format's default.
  VisualRenderer(const tokenize::TokenizerSet& tokenizers, std::string format, int quality, bool force);
  ~VisualRenderer();

  static bool handles(const std::string& modality) { return modality == "image" || modality == "video"; }

  // `path_for(extension)` gives the file for a new output ("" for stdout, images only).
  // Throws mm::Error for a segment of another tokenizer or malformed metadata.
  void begin(const stream::SegmentInfo& segment, const std::function<std::string(const std::string&)>& path_for);
  void codes(const std::vector<uint32_t>& codes);
  // `defer`: keep the file uncommitted until finish() (one -o FILE for the whole stream).
  void end(bool defer);
  // Closes the open video and commits every file; returns the names written.
  std::vector<std::string> finish();
  // Called with a finished video's temporary file before it is committed (mm-render adds
  // the video's sound there); may rewrite that file.
  std::function<void(const std::string& temp_path)> before_video_commit;

 private:
  void close_video();

  const tokenize::TokenizerSet& tokenizers_;
  std::string format_;
  int quality_;
  bool force_;
  bool video_ = false;
  std::unique_ptr<tokenize::VisualDecoder> decoder_;
  media::Image image_;
  std::string image_path_, image_format_;
  std::unique_ptr<Output> video_file_;
  std::unique_ptr<media::VideoEncoder> encoder_;
  int video_width_ = 0, video_height_ = 0;  // of the video being written
  std::unique_ptr<Output> image_file_;
  OutputFiles files_;
};

}  // namespace mm::cli
