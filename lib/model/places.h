// Where each id of a sequence sits, for the backbone: its rotary position, and for the codes
// of images and video frames their row and column in the grid. Read from the ids alone, by
// one tracker that the training forward and the cache path both use.
//
// Three options of the backbone config change what plain counting would give, all for the
// same reason: with positions along one line alone, the code at (row, column) of an image
// given earlier lies a distance back that changes with everything between the two images
// (an edit's instruction), so a model cannot learn "the same place in the image before".
// - "align_visual_positions": N > 0 starts each image or video at the next position that is
//   a multiple of N, skipping the rest: two images with less than N - (image length) ids
//   between them are a fixed distance apart, place for place.
// - "grid_rope": a quarter of the rotary pairs of a code turn by its row and a quarter by
//   its column (backbone.h), so the same place is the same rotation there.
// - "grid_place_embeddings" (a count > 0): learned row and column vectors added to the
//   embedding of every code, so attention can also find a place by content.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>

namespace mm::model {

// The layout's markers that frame images and videos (layout.h's grammar: rows ended by a
// row break, frames separated by a frame break).
struct VisualMarkers {
  uint32_t begin_image = 0, end_image = 0, begin_video = 0, end_video = 0, row_break = 0, frame_break = 0;
  bool known = false;  // false: the bundle has no layout section (yet)
  // From the bundle config's "layout" object text; "" gives unknown markers. Throws
  // mm::Error when a marker is missing or not an id.
  static VisualMarkers from_layout_json(const std::string& layout_json);
};

struct Place {
  static constexpr int32_t kNone = -1;  // not a code of an image or video
  int64_t position = 0;                 // rotary position
  int32_t row = kNone, column = kNone;
};

// Fed a sequence's ids in order from its first, says each one's place. Codes inside an image
// or video get their row (within the frame) and column; markers and everything outside get
// none. Positions count up by one, but for the begin marker of an image or video, which
// `align` (when > 0) moves up to the next multiple of it.
class PlaceTracker {
 public:
  explicit PlaceTracker(const VisualMarkers& markers, uint32_t align = 0) : markers_(markers), align_(align) {}
  Place push(uint32_t id);

 private:
  VisualMarkers markers_;
  uint32_t align_;
  int64_t next_ = 0;
  bool inside_ = false;
  int32_t row_ = 0, column_ = 0;
};

}  // namespace mm::model
