#include "model/places.h"

#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::model {

VisualMarkers VisualMarkers::from_layout_json(const std::string& layout_json) {
  VisualMarkers g;
  if (layout_json.empty()) return g;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(layout_json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("layout: not JSON: ") + e.what());
  }
  auto markers = j.find("markers");
  if (!j.is_object() || markers == j.end() || !markers->is_object()) throw Error("layout: missing \"markers\" object");
  auto id = [&](const char* name) {
    auto m = markers->find(name);
    if (m == markers->end() || !m->is_number_unsigned() || m->get<uint64_t>() > UINT32_MAX)
      throw Error(std::string("layout: marker ") + name + " missing or not an id");
    return uint32_t(m->get<uint64_t>());
  };
  g.begin_image = id("<|begin_image|>");
  g.end_image = id("<|end_image|>");
  g.begin_video = id("<|begin_video|>");
  g.end_video = id("<|end_video|>");
  g.row_break = id("<|row_break|>");
  g.frame_break = id("<|frame_break|>");
  g.known = true;
  return g;
}

Place PlaceTracker::push(uint32_t id) {
  const VisualMarkers& m = markers_;
  Place p;
  if (id == m.begin_image || id == m.begin_video) {
    if (align_ > 0) next_ = (next_ + align_ - 1) / align_ * align_;
    inside_ = true, row_ = 0, column_ = 0;
  } else if (inside_) {
    if (id == m.end_image || id == m.end_video)
      inside_ = false;
    else if (id == m.row_break)
      ++row_, column_ = 0;
    else if (id == m.frame_break)
      row_ = 0, column_ = 0;
    else
      p.row = row_, p.column = column_++;
  }
  p.position = next_++;
  return p;
}

}  // namespace mm::model
