#include "tokenize/visual_decoder.h"

#include "error.h"
#include "media/resize.h"

namespace mm::tokenize {

VisualDecoder::VisualDecoder(const ImageTokenizer& tokenizer, const std::string& tokenizer_id,
                             const std::string& metadata_json, bool video)
    : tokenizer_(tokenizer), video_(video) {
  if (tokenizer_id != tokenizer.id())
    throw Error("made by tokenizer " + tokenizer_id + ", but the bundle's " + (video ? "video" : "image") +
                " tokenizer is " + tokenizer.id() + " (render it with the bundle that made it: --bundle)");
  geometry_ = parse_visual_metadata(metadata_json, video);
  if (geometry_.patch != tokenizer.patch() || geometry_.levels > tokenizer.levels())
    throw Error("metadata says " + std::to_string(geometry_.patch) + "-pixel patches at " +
                std::to_string(geometry_.levels) + " levels; the codebook has " + std::to_string(tokenizer.patch()) +
                "-pixel patches and " + std::to_string(tokenizer.levels()) + " levels");
}

void VisualDecoder::codes(const uint32_t* codes, size_t count, const std::function<void(const media::Image&)>& frame) {
  const size_t per_frame = geometry_.codes_per_frame();
  const VisualGeometry& g = geometry_;
  auto emit = [&](const uint32_t* first) {
    if (frames_ >= g.frames) throw Error("more codes than the " + std::to_string(g.frames) + " frames the metadata declares");
    media::Image full = tokenizer_.decode(first, per_frame, g.patches_x, g.patches_y, g.levels);
    frame(media::crop(full, g.content_x, g.content_y, g.content_width, g.content_height));
    ++frames_;
  };
  size_t used = 0;
  if (!pending_.empty()) {
    used = std::min(count, per_frame - pending_.size());
    pending_.insert(pending_.end(), codes, codes + used);
    if (pending_.size() < per_frame) return;
    emit(pending_.data());
    pending_.clear();
  }
  for (; count - used >= per_frame; used += per_frame) emit(codes + used);
  pending_.assign(codes + used, codes + count);
}

void VisualDecoder::finish() {
  if (!pending_.empty())
    throw Error(std::to_string(pending_.size()) + " codes left over: not a whole frame of " +
                std::to_string(geometry_.grid_width()) + "x" + std::to_string(geometry_.grid_height()) + " codes");
  if (frames_ != geometry_.frames)
    throw Error("the metadata declares " + std::to_string(geometry_.frames) + " frames, the codes make " +
                std::to_string(frames_));
}

}  // namespace mm::tokenize
