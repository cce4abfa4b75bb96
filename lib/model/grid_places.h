// Where each image or video code sits in its grid, for a backbone with grid place
// embeddings: learned row and column vectors added to the embedding of every code of an
// image or video frame. With positions along one line alone, the code at (row, column) of
// an image given earlier lies a distance back that changes with everything between (an
// edit's instruction); a place embedding lets attention find "the same place" by content.
// Torch-free: the backbone and the trainer both read places from ids with it.
#pragma once

#include <cstdint>
#include <string>

namespace mm::model {

// The layout's markers that frame images and videos (layout.h's grammar: rows ended by a
// row break, frames separated by a frame break).
struct GridMarkers {
  uint32_t begin_image = 0, end_image = 0, begin_video = 0, end_video = 0, row_break = 0, frame_break = 0;
  bool known = false;  // false: the bundle has no layout section (yet)
  // From the bundle config's "layout" object text; "" gives unknown markers. Throws
  // mm::Error when a marker is missing or not an id.
  static GridMarkers from_layout_json(const std::string& layout_json);
};

struct GridPlace {
  static constexpr int32_t kNone = -1;  // not a code of an image or video
  int32_t row = kNone, column = kNone;
};

// Fed a sequence's ids in order, says each one's place: codes inside an image or video get
// their row (within the frame) and column; markers and everything outside get none.
class GridPlaceTracker {
 public:
  explicit GridPlaceTracker(const GridMarkers& markers) : markers_(markers) {}
  GridPlace push(uint32_t id);

 private:
  GridMarkers markers_;
  bool inside_ = false;
  int32_t row_ = 0, column_ = 0;
};

}  // namespace mm::model
