#include "tokenize/visual_metadata.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::tokenize {

namespace {

using nlohmann::json;

constexpr int kMaxSide = 16384;
constexpr int kMaxFramesPerSegment = 1 << 20;

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("image metadata: " + what);
}

int integer(const json& object, const char* key, int low, int high) {
  auto it = object.find(key);
  require(it != object.end(), std::string("no \"") + key + "\"");
  require(it->is_number_integer(), std::string("\"") + key + "\" is not an integer");
  int64_t v = it->get<int64_t>();
  require(v >= low && v <= high, std::string("\"") + key + "\" = " + std::to_string(v) + " is outside " +
                                     std::to_string(low) + " to " + std::to_string(high));
  return int(v);
}

const json& object(const json& parent, const char* key) {
  auto it = parent.find(key);
  require(it != parent.end() && it->is_object(), std::string("no \"") + key + "\" object");
  return *it;
}

}  // namespace

VisualGeometry geometry_for_grid(const ImageTokenizer& tokenizer, int grid_width, int grid_height, int levels) {
  VisualGeometry g;
  g.patch = tokenizer.patch();
  g.levels = levels > 0 ? levels : grid_width % tokenizer.levels() == 0 ? tokenizer.levels() : 1;
  if (g.levels > tokenizer.levels()) throw Error("the codebook has only " + std::to_string(tokenizer.levels()) + " levels");
  if (grid_width < 1 || grid_height < 1 || grid_width % g.levels)
    throw Error("a grid of " + std::to_string(grid_width) + "x" + std::to_string(grid_height) + " codes is not whole patches of " +
                std::to_string(g.levels) + " codes");
  g.patches_x = grid_width / g.levels;
  g.patches_y = grid_height;
  if (g.frame_width() > kMaxSide || g.frame_height() > kMaxSide) throw Error("grid larger than 16384 pixels a side");
  g.content_width = g.frame_width();
  g.content_height = g.frame_height();
  return g;
}

std::string visual_metadata_fields(const VisualGeometry& g, bool video) {
  json out = {
      {"grid", {{"width", g.grid_width()}, {"height", g.grid_height()}}},
      {"patch", g.patch},
      {"levels", g.levels},
      {"frame", {{"width", g.frame_width()}, {"height", g.frame_height()}}},
      {"content", {{"x", g.content_x}, {"y", g.content_y}, {"width", g.content_width}, {"height", g.content_height}}},
  };
  if (video) {
    out["frames"] = g.frames;
    out["fps"] = g.fps;
    json times = json::array();
    // Microseconds are plenty and keep the metadata short.
    for (double t : g.timestamps) times.push_back(std::round(t * 1e6) / 1e6);
    out["timestamps"] = times;
    out["part"] = g.part;
  }
  return out.dump();
}

VisualGeometry parse_visual_metadata(const std::string& text, bool video) {
  json meta = json::parse(text, nullptr, false);
  require(!meta.is_discarded() && meta.is_object(), "not a JSON object");
  VisualGeometry g;
  g.patch = integer(meta, "patch", 1, 64);
  g.levels = integer(meta, "levels", 1, 8);
  const json& grid = object(meta, "grid");
  int gw = integer(grid, "width", 1, kMaxSide * 8), gh = integer(grid, "height", 1, kMaxSide);
  require(gw % g.levels == 0, "grid width " + std::to_string(gw) + " is not a whole number of patches");
  g.patches_x = gw / g.levels;
  g.patches_y = gh;
  require(int64_t(g.patches_x) * g.patch <= kMaxSide && int64_t(g.patches_y) * g.patch <= kMaxSide,
          "frame larger than 16384 pixels a side");
  const json& frame = object(meta, "frame");
  require(integer(frame, "width", 1, kMaxSide) == g.frame_width() && integer(frame, "height", 1, kMaxSide) == g.frame_height(),
          "\"frame\" does not match the grid and patch");
  const json& content = object(meta, "content");
  g.content_x = integer(content, "x", 0, kMaxSide);
  g.content_y = integer(content, "y", 0, kMaxSide);
  g.content_width = integer(content, "width", 1, kMaxSide);
  g.content_height = integer(content, "height", 1, kMaxSide);
  require(g.content_x + g.content_width <= g.frame_width() && g.content_y + g.content_height <= g.frame_height(),
          "\"content\" lies outside the frame");
  if (!video) return g;
  g.frames = integer(meta, "frames", 1, kMaxFramesPerSegment);
  auto fps = meta.find("fps");
  require(fps != meta.end() && fps->is_number() && fps->get<double>() > 0 && fps->get<double>() <= 1000,
          "\"fps\" must be a number above 0, at most 1000");
  g.fps = fps->get<double>();
  auto times = meta.find("timestamps");
  require(times != meta.end() && times->is_array() && times->size() == size_t(g.frames),
          "\"timestamps\" must list one time per frame");
  for (const auto& t : *times) {
    require(t.is_number() && std::isfinite(t.get<double>()), "a timestamp is not a number");
    g.timestamps.push_back(t.get<double>());
  }
  g.part = meta.contains("part") ? integer(meta, "part", 0, 1 << 30) : 0;
  return g;
}

}  // namespace mm::tokenize
