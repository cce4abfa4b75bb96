// Codes of an image or video segment -> pictures, frame by frame as the codes arrive, each
// cut to the picture region its metadata names (tokenize/visual_metadata.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "media/image.h"
#include "tokenize/image_tokenizer.h"
#include "tokenize/visual_metadata.h"

namespace mm::tokenize {

class VisualDecoder {
 public:
  // `tokenizer_id` and `metadata_json`: the segment's. Throws mm::Error when the segment
  // was made by another tokenizer or its metadata is malformed.
  VisualDecoder(const ImageTokenizer& tokenizer, const std::string& tokenizer_id, const std::string& metadata_json,
                bool video);

  // Calls `frame` for every frame the codes so far complete.
  void codes(const uint32_t* codes, size_t count, const std::function<void(const media::Image&)>& frame);
  // At the segment's end: throws mm::Error when codes are left over or frames are missing.
  void finish();

  const VisualGeometry& geometry() const { return geometry_; }
  int64_t frames() const { return frames_; }

 private:
  const ImageTokenizer& tokenizer_;
  VisualGeometry geometry_;
  bool video_;
  std::vector<uint32_t> pending_;
  int64_t frames_ = 0;
};

}  // namespace mm::tokenize
