// Places without libtorch: each code's row and column read from the ids (images, video
// frames, what lies outside), rotary positions counted or aligned, the markers read from a
// layout, and the config keys (grid places imply two tables).
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "generate/layout.h"
#include "model/bundle.h"
#include "model/places.h"

using namespace mm::model;

namespace {

// A packed layout's markers, as a bundle's config holds them.
VisualMarkers packed_markers() {
  mm::generate::Layout layout = mm::generate::Layout::packed({{"text", 100}, {"image", 50}}, {{"video", "image"}});
  return VisualMarkers::from_layout_json(layout.to_json());
}

std::vector<std::pair<int, int>> places(const VisualMarkers& m, const std::vector<uint32_t>& ids) {
  PlaceTracker tracker(m);
  std::vector<std::pair<int, int>> out;
  for (uint32_t id : ids) {
    Place p = tracker.push(id);
    out.emplace_back(p.row, p.column);
  }
  return out;
}

}  // namespace

TEST_CASE("grid places: codes of an image get row and column; markers and text none") {
  const VisualMarkers m = packed_markers();
  REQUIRE(m.known);
  const uint32_t code = 500;  // any id that is not a marker
  const std::vector<uint32_t> ids = {code, m.begin_image, code, code, m.row_break, code, code, m.row_break, m.end_image, code};
  const std::vector<std::pair<int, int>> want = {{-1, -1}, {-1, -1}, {0, 0}, {0, 1}, {-1, -1}, {1, 0},
                                                 {1, 1},   {-1, -1}, {-1, -1}, {-1, -1}};
  CHECK(places(m, ids) == want);
}

TEST_CASE("grid places: each video frame starts again at row 0; a second image too") {
  const VisualMarkers m = packed_markers();
  const uint32_t c = 500;
  const std::vector<uint32_t> ids = {m.begin_video, c, m.row_break, c, m.row_break, m.frame_break, c, m.row_break,
                                     c, m.row_break, m.end_video, m.begin_image, c, c, m.row_break, m.end_image};
  const std::vector<std::pair<int, int>> want = {{-1, -1}, {0, 0}, {-1, -1}, {1, 0}, {-1, -1}, {-1, -1}, {0, 0}, {-1, -1},
                                                 {1, 0},   {-1, -1}, {-1, -1}, {-1, -1}, {0, 0}, {0, 1}, {-1, -1}, {-1, -1}};
  CHECK(places(m, ids) == want);
}

TEST_CASE("grid places: a row break or end marker outside an image changes nothing") {
  const VisualMarkers m = packed_markers();
  const std::vector<uint32_t> ids = {m.row_break, m.frame_break, m.end_image, 500, m.begin_image, 500};
  const std::vector<std::pair<int, int>> want = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, {0, 0}};
  CHECK(places(m, ids) == want);
}

TEST_CASE("places: positions count up by one, or start images and videos at multiples of the alignment") {
  const VisualMarkers m = packed_markers();
  const uint32_t c = 500;
  const std::vector<uint32_t> ids = {c, m.begin_image, c, m.row_break, m.end_image, c, c, m.begin_video, c, m.row_break,
                                     m.end_video, m.begin_image};
  auto positions = [&](uint32_t align) {
    PlaceTracker tracker(m, align);
    std::vector<int64_t> out;
    for (uint32_t id : ids) out.push_back(tracker.push(id).position);
    return out;
  };
  CHECK(positions(0) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(positions(4) == std::vector<int64_t>{0, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16});
  // Already at a multiple: nothing is skipped.
  PlaceTracker at_zero(m, 8);
  CHECK(at_zero.push(m.begin_image).position == 0);
  CHECK(at_zero.push(c).position == 1);
}

TEST_CASE("grid markers: from a layout; none without one; a missing marker is named") {
  CHECK_FALSE(VisualMarkers::from_layout_json("").known);
  CHECK_THROWS_WITH_AS(VisualMarkers::from_layout_json(R"({"markers": {"<|begin_image|>": 1}})"),
                       doctest::Contains("<|end_image|>"), mm::Error);
  CHECK_THROWS_AS(VisualMarkers::from_layout_json("{nope"), mm::Error);
}

TEST_CASE("grid places in the config: the key, its two tables, the markers from the layout") {
  const std::string backbone = R"({"vocab_size": 200, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
    "intermediate_size": 16, "max_position_embeddings": 32, "grid_place_embeddings": 6})";
  BackboneConfig c = BackboneConfig::from_json(backbone);
  CHECK(c.grid_places == 6);
  CHECK(BackboneConfig::from_json(c.to_json()).grid_places == 6);
  std::vector<std::string> names;
  for (const auto& t : expected_tensors(c))
    if (t.name.find("grid") != std::string::npos) names.push_back(t.name + " " + shape_string(t.shape));
  CHECK(names == std::vector<std::string>{"model.embed_grid_rows.weight [6, 8]", "model.embed_grid_columns.weight [6, 8]"});
  BackboneConfig plain = BackboneConfig::from_json(R"({"vocab_size": 200, "hidden_size": 8, "num_hidden_layers": 1,
    "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 32})");
  CHECK(c.parameter_count() == plain.parameter_count() + 2 * 6 * 8);
  CHECK(plain.to_json().find("grid") == std::string::npos);
  CHECK_THROWS_WITH_AS(BackboneConfig::from_json(R"({"vocab_size": 200, "hidden_size": 8, "num_hidden_layers": 1,
    "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 32, "grid_place_embeddings": 5000})"),
                       doctest::Contains("beyond 4096"), mm::Error);

  mm::generate::Layout layout = mm::generate::Layout::packed({{"text", 100}, {"image", 50}});
  BundleConfig b = BundleConfig::parse(R"({"backbone": )" + backbone + R"(, "layout": )" + layout.to_json() + "}");
  CHECK(b.backbone.visual_markers.known);
  CHECK(b.backbone.visual_markers.row_break == layout.marker(mm::generate::Marker::RowBreak));
  CHECK(b.backbone.visual_markers.begin_video == layout.marker(mm::generate::Marker::BeginVideo));
  CHECK_FALSE(BundleConfig::parse(R"({"backbone": )" + backbone + "}").backbone.visual_markers.known);
}

TEST_CASE("aligned visual positions in the config: the key, no tensors, the markers from the layout") {
  const std::string backbone = R"({"vocab_size": 200, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
    "intermediate_size": 16, "max_position_embeddings": 32, "align_visual_positions": 128})";
  BackboneConfig c = BackboneConfig::from_json(backbone);
  CHECK(c.align_visual == 128);
  CHECK(c.tracks_places());
  CHECK(BackboneConfig::from_json(c.to_json()).align_visual == 128);
  for (const auto& t : expected_tensors(c)) CHECK(t.name.find("grid") == std::string::npos);
  mm::generate::Layout layout = mm::generate::Layout::packed({{"text", 100}, {"image", 50}});
  CHECK(BundleConfig::parse(R"({"backbone": )" + backbone + R"(, "layout": )" + layout.to_json() + "}")
            .backbone.visual_markers.known);
}
