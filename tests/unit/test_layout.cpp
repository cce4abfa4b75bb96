#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "error.h"
#include "generate/layout.h"
#include "support.h"

using namespace mm::generate;

using mm::test::error_of;

namespace {

Layout small_layout() {
  return Layout::packed({{"text", 50}, {"image", 16}, {"audio", 8}}, {{"code", "text"}, {"video", "image"}});
}

std::vector<uint32_t> build(const Layout& layout, const std::vector<SequenceParser::Segment>& segments) {
  SequenceBuilder builder(layout);
  for (const auto& s : segments) {
    builder.begin_segment(s.modality, s.role, s.shape);
    builder.codes(s.codes);
    builder.end_segment();
  }
  return builder.ids();
}

}  // namespace

TEST_CASE("layout: packed puts markers first, then ranges in order; shared ranges alias") {
  Layout l = small_layout();
  CHECK(l.marker(Marker::Bos) == 0);
  CHECK(l.marker(Marker::EndAudio) == 17);
  CHECK(l.range("text").offset == 18);
  CHECK(l.range("image").offset == 68);
  CHECK(l.range("audio").offset == 84);
  CHECK(l.range("code").offset == 18);
  CHECK(l.range("video").size == 16);
  CHECK(l.vocab_size() == 92);
  std::string modality;
  uint32_t code = 0;
  CHECK(l.code_of(70, modality, code));
  CHECK(modality == "image");
  CHECK(code == 2);
  Marker m;
  CHECK(l.is_marker(12, m));
  CHECK(m == Marker::RowBreak);
  CHECK_FALSE(l.is_marker(18, m));
  CHECK_FALSE(l.code_of(5, modality, code));
  CHECK(std::string(marker_name(Marker::BeginImage)) == "<|begin_image|>");
}

TEST_CASE("layout: to_json and from_json round-trip") {
  Layout l = small_layout();
  Layout back = Layout::from_json(l.to_json());
  CHECK(back.to_json() == l.to_json());
  CHECK(back.range("video").offset == l.range("image").offset);
}

TEST_CASE("layout: a bad layout is refused with the reason") {
  nlohmann::json good = nlohmann::json::parse(small_layout().to_json());
  struct Case {
    std::function<void(nlohmann::json&)> edit;
    const char* reason;
  };
  const Case cases[] = {
      {[](auto& j) { j.erase("vocab_size"); }, "missing \"vocab_size\""},
      {[](auto& j) { j["vocab_size"] = 50; }, "outside the vocabulary"},
      {[](auto& j) { j["vocab_size"] = -1; }, "non-negative"},
      {[](auto& j) { j["markers"].erase("<|row_break|>"); }, "<|row_break|> missing"},
      {[](auto& j) { j["markers"]["<|pad|>"] = 3; }, "unknown marker"},
      {[](auto& j) { j["markers"]["<|eos|>"] = 0; }, "share id 0"},
      {[](auto& j) { j["markers"]["<|eos|>"] = 20; }, "inside range \"text\""},
      {[](auto& j) { j["ranges"]["image"]["offset"] = 60; }, "overlap"},
      {[](auto& j) { j["ranges"]["smell"] = {{"offset", 0}, {"size", 1}}; }, "unknown modality"},
      {[](auto& j) { j["ranges"]["audio"]["size"] = 0; }, "empty"},
      {[](auto& j) { j["ranges"]["audio"].erase("size"); }, "needs \"offset\" and \"size\""},
      {[](auto& j) { j["ranges"]["code"] = "video"; }, "has no range of its own"},
      {[](auto& j) { j["ranges"]["code"] = 7; }, "must be"},
      {[](auto& j) { j.erase("ranges"); }, "missing \"ranges\""},
      {[](auto& j) { j = nlohmann::json::array(); }, "not a JSON object"},
  };
  for (const auto& c : cases) {
    nlohmann::json j = good;
    c.edit(j);
    CAPTURE(j.dump());
    std::string e = error_of([&] { Layout::from_json(j.dump()); });
    CAPTURE(e);
    CHECK(e.find(c.reason) != std::string::npos);
    CHECK(e.rfind("layout: ", 0) == 0);
  }
  CHECK(error_of([] { Layout::from_json("{"); }).find("not a JSON object") != std::string::npos);
}

TEST_CASE("sequence: images in rows, video frames separated, turns opened and closed") {
  Layout l = small_layout();
  SequenceBuilder b(l);
  b.begin_segment("text", "user");
  b.codes({1, 2});
  b.end_segment();
  b.begin_segment("image", "user", Shape{2, 2, 1});
  b.codes({0, 1, 2, 3});
  b.end_segment();
  b.begin_segment("video", "assistant", Shape{1, 2, 2});
  b.codes({5, 6, 7, 8});
  b.end_segment();
  const uint32_t T = 18, I = 68;
  std::vector<uint32_t> want = {0, 3, 6, T + 1, T + 2, 7,                      // bos user text
                                10, I, I + 1, 12, I + 2, I + 3, 12, 11,         // image 2x2
                                5, 4, 14, I + 5, 12, I + 6, 12, 13, I + 7, 12, I + 8, 12, 15};  // video
  CHECK(b.ids() == want);
  b.open_turn("");
  CHECK(b.ids().back() == l.marker(Marker::EndTurn));
}

TEST_CASE("sequence: the builder refuses codes out of range and grids not filled") {
  Layout l = small_layout();
  SequenceBuilder b(l);
  b.begin_segment("image", "", Shape{2, 2, 1});
  CHECK(error_of([&] { b.codes({16}); }).find("outside the layout's range") != std::string::npos);
  b.codes({1, 2, 3});
  CHECK(error_of([&] { b.end_segment(); }).find("3 codes, its grid 4") != std::string::npos);
  b.codes({1});
  CHECK(error_of([&] { b.codes({1}); }).find("more image codes") != std::string::npos);
  b.end_segment();
  CHECK(error_of([&] { b.begin_segment("image", "", Shape{}); }).find("without a grid") != std::string::npos);
  CHECK(error_of([&] { b.begin_segment("text", "king"); }).find("unknown role") != std::string::npos);
  Layout no_audio = Layout::packed({{"text", 10}});
  SequenceBuilder c(no_audio);
  CHECK(error_of([&] { c.begin_segment("audio", ""); }).find("no code range for audio") != std::string::npos);
}

TEST_CASE("sequence: the parser refuses ids that break the grammar") {
  Layout l = small_layout();
  const uint32_t I = 68, T = 18;
  struct Case {
    std::vector<uint32_t> ids;
    const char* reason;
  };
  const Case cases[] = {
      {{0, T}, "outside any segment"},
      {{0, 10, T}, "not a image code"},
      {{0, 10, I, I, 12, I, I, I}, "row longer"},
      {{0, 10, I, I, 12, I, 12, 11}, "row of 1 codes, the first had 2"},
      {{0, 10, I, 11}, "no row break"},
      {{0, 10, 11}, "without rows"},
      {{0, 10, 12}, "empty row"},
      {{0, 6, 13}, "outside a video"},
      {{0, 14, I, 12, 13, I, 12, I, 12, 15}, "frame taller"},
      {{0, 6, 11}, "without its segment"},
      {{0, 6, 10}, "inside a text segment"},
      {{0, 5}, "without an open turn"},
      {{0, 1, 6}, "after <|eos|>"},
      {{0, 0}, "<|bos|> after the start"},
      {{0, 6, 3}, "inside a text segment"},
  };
  for (const auto& c : cases) {
    SequenceParser p(l);
    std::string e = error_of([&] { p.push(c.ids); });
    CAPTURE(e);
    CHECK(e.find(c.reason) != std::string::npos);
  }
}

TEST_CASE("sequence: random well-formed segments survive builder -> parser exactly") {
  Layout l = small_layout();
  std::mt19937_64 rng(42);
  const char* modalities[] = {"text", "code", "image", "video", "audio"};
  const char* roles[] = {"", "system", "user", "assistant"};
  for (int round = 0; round < 300; ++round) {
    std::vector<SequenceParser::Segment> segments(rng() % 6);
    for (auto& s : segments) {
      s.modality = modalities[rng() % 5];
      s.role = roles[rng() % 4];
      uint32_t size = l.range(s.modality).size;
      size_t count = rng() % 40;
      if (is_visual(s.modality)) {
        s.shape = Shape{uint32_t(1 + rng() % 5), uint32_t(1 + rng() % 4), s.modality == "video" ? uint32_t(1 + rng() % 3) : 1u};
        count = s.shape.codes();
      }
      for (size_t i = 0; i < count; ++i) s.codes.push_back(uint32_t(rng() % size));
    }
    std::vector<uint32_t> ids = build(l, segments);
    SequenceParser parser(l);
    parser.push(ids);
    CHECK_FALSE(parser.in_segment());
    auto back = parser.take();
    REQUIRE(back.size() == segments.size());
    for (size_t i = 0; i < segments.size(); ++i) CHECK(back[i] == segments[i]);
  }
}

TEST_CASE("sequence: a stream's ids are a prefix of the ids of that stream extended") {
  Layout l = small_layout();
  SequenceBuilder b(l);
  b.begin_segment("text", "user");
  b.codes({3, 4});
  b.end_segment();
  std::vector<uint32_t> before = b.ids();
  b.open_turn("assistant");
  b.begin_segment("text", "assistant");
  b.codes({5});
  b.end_segment();
  CHECK(std::equal(before.begin(), before.end(), b.ids().begin()));
}

TEST_CASE("constraint: an image of W x H codes is exactly its rows, breaks and markers") {
  Layout l = small_layout();
  Constraint c = Constraint::visual(l, "image", Shape{3, 2, 1});
  CHECK(c.max_ids() == 3 * 2 + 2 + 2);
  std::mt19937_64 rng(7);
  std::vector<uint32_t> ids = {0};
  while (!c.done()) {
    auto a = c.allowed();
    uint32_t id = a.forced ? a.id : a.ranges[0].first + uint32_t(rng() % (a.ranges[0].second - a.ranges[0].first));
    if (!a.forced) {
      CHECK(a.ranges.size() == 1);
      CHECK(a.ranges[0] == std::pair<uint32_t, uint32_t>{68, 84});
      CHECK_THROWS_AS(c.accept(12), mm::Error);  // a row break before the row is full
    }
    c.accept(id);
    ids.push_back(id);
  }
  CHECK(ids.size() == 1 + c.max_ids());
  SequenceParser p(l);
  p.push(ids);
  auto segments = p.take();
  REQUIRE(segments.size() == 1);
  CHECK(segments[0].shape == Shape{3, 2, 1});
  CHECK_THROWS_AS(c.allowed(), mm::Error);
}

TEST_CASE("constraint: video frames, audio counts, text ends at its marker or the turn's end") {
  Layout l = small_layout();
  Constraint v = Constraint::visual(l, "video", Shape{2, 1, 3});
  std::vector<uint32_t> ids = {0};
  while (!v.done()) {
    auto a = v.allowed();
    uint32_t id = a.forced ? a.id : a.ranges[0].first;
    v.accept(id);
    ids.push_back(id);
  }
  CHECK(ids == std::vector<uint32_t>{0, 14, 68, 68, 12, 13, 68, 68, 12, 13, 68, 68, 12, 15});

  Constraint au = Constraint::audio(l, 2);
  au.accept(16);
  CHECK_FALSE(au.allowed().allows(17));
  au.accept(84);
  au.accept(91);
  CHECK(au.allowed().forced);
  CHECK(au.allowed().id == 17);
  au.accept(17);
  CHECK(au.done());
  CHECK(au.codes() == 2);

  Constraint t = Constraint::text(l, "text", 3);
  CHECK(t.allowed().id == 6);
  t.accept(6);
  CHECK(t.allowed().allows(7));
  CHECK(t.allowed().allows(5));
  CHECK_FALSE(t.allowed().allows(68));
  t.accept(20);
  t.accept(5);  // <|end_turn|>
  CHECK(t.done());
  Constraint capped = Constraint::text(l, "code", 1);
  capped.accept(8);
  capped.accept(19);
  CHECK(capped.allowed().forced);
  CHECK(capped.allowed().id == 9);
  CHECK_THROWS_AS(Constraint::visual(l, "image", Shape{2, 2, 2}), mm::Error);
  CHECK_THROWS_AS(Constraint::visual(l, "text", Shape{2, 2, 1}), mm::Error);
}
