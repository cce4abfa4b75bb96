#include <doctest/doctest.h>

#include "generate/prefill_pieces.h"

using namespace mm::generate;

namespace {

Layout small_layout() { return Layout::packed({{"text", 50}, {"image", 16}, {"audio", 8}}, {{"code", "text"}}); }

// The pieces as [begin, end) pairs, easier to read in a failure.
std::vector<std::pair<size_t, size_t>> spans(const std::vector<PrefillPiece>& pieces) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const auto& p : pieces) out.push_back({p.begin, p.end});
  return out;
}

// A conversation: a user's text and image, the assistant's answer, the user again.
SequenceBuilder conversation(const Layout& l) {
  SequenceBuilder b(l);
  b.begin_segment("text", "user");
  b.codes({1, 2, 3});
  b.end_segment();  // <|bos|> | <|user|> <|begin_text|> 1 2 3 <|end_text|>
  b.begin_segment("image", "user", Shape{2, 1, 1});
  b.codes({4, 5});
  b.end_segment();  // <|begin_image|> 4 5 <|row_break|> <|end_image|>
  b.begin_segment("text", "assistant");
  b.codes({6});
  b.end_segment();  // <|end_turn|> <|assistant|> <|begin_text|> 6 <|end_text|>
  b.begin_segment("audio", "user");
  b.codes({7, 0});
  b.end_segment();  // <|end_turn|> <|user|> <|begin_audio|> 7 0 <|end_audio|>
  return b;
}

}  // namespace

TEST_CASE("prefill pieces: a piece ends after <|bos|> and after every segment's end marker") {
  Layout l = small_layout();
  const auto ids = conversation(l).ids();
  REQUIRE(ids.size() == 1 + 6 + 5 + 5 + 6);
  CHECK(spans(prefill_pieces(l, ids)) == std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 7}, {7, 12}, {12, 17}, {17, 23}});
  // A role change (<|end_turn|> and the new role's marker) belongs to the segment it opens.
  Marker m;
  REQUIRE(l.is_marker(ids[12], m));
  CHECK(m == Marker::EndTurn);
}

TEST_CASE("prefill pieces: empty input, and a start at or past the end, give no pieces") {
  Layout l = small_layout();
  CHECK(prefill_pieces(l, {}).empty());
  const auto ids = conversation(l).ids();
  CHECK(prefill_pieces(l, ids, ids.size()).empty());
  CHECK(prefill_pieces(l, ids, ids.size() + 5).empty());
  CHECK(split_point_before(l, {}, 0) == 0);
  // <|bos|> alone (a stream without segments) is a piece, and a state of it ends at a split point.
  SequenceBuilder empty(l);
  CHECK(spans(prefill_pieces(l, empty.ids())) == std::vector<std::pair<size_t, size_t>>{{0, 1}});
  CHECK(split_point_before(l, empty.ids(), 1) == 1);
}

TEST_CASE("prefill pieces: from a state's end they are the tail of the pieces from scratch") {
  Layout l = small_layout();
  SequenceBuilder b = conversation(l);
  const size_t state = b.ids().size();  // a stream ends at a split point
  CHECK(split_point_before(l, b.ids(), state) == state);
  b.open_turn("assistant");
  b.begin_segment("text", "assistant");  // the prompt of the next answer, then its ids
  const size_t prompt = b.ids().size();
  b.codes({9, 9});
  b.end_segment();
  const auto ids = b.ids();
  const auto all = prefill_pieces(l, ids);
  const auto rest = prefill_pieces(l, ids, state);
  REQUIRE(rest.size() <= all.size());
  CHECK(std::vector<PrefillPiece>(all.end() - long(rest.size()), all.end()) == rest);
  CHECK(spans(rest) == std::vector<std::pair<size_t, size_t>>{{state, ids.size()}});
  // A prompt that stops inside the answer's piece (<|begin_text|>, where generation starts):
  // its last piece is that piece's beginning, and the split point before the answer is the
  // state's end, where a row is cut back to prefill the answer as the rule does.
  std::vector<uint32_t> head(ids.begin(), ids.begin() + long(prompt));
  CHECK(spans(prefill_pieces(l, head, state)) == std::vector<std::pair<size_t, size_t>>{{state, prompt}});
  CHECK(split_point_before(l, ids, prompt) == state);
  CHECK(split_point_before(l, ids, ids.size() - 1) == state);
  // A start that is not a split point starts the first piece there; the rest keep the rule.
  CHECK(spans(prefill_pieces(l, ids, 3)) ==
        std::vector<std::pair<size_t, size_t>>{{3, 7}, {7, 12}, {12, 17}, {17, 23}, {23, ids.size()}});
}

TEST_CASE("prefill pieces: a long segment is cut every 512 ids counted from its piece's start") {
  Layout l = Layout::packed({{"text", 50}, {"audio", 8}});
  SequenceBuilder b(l);
  b.begin_segment("text", "user");
  b.codes({1});
  b.end_segment();  // <|bos|> | <|user|> <|begin_text|> 1 <|end_text|>: positions 1 .. 4
  b.begin_segment("audio", "");
  b.codes(std::vector<uint32_t>(1100, 3));
  b.end_segment();  // <|end_turn|> <|begin_audio|> 1100 codes <|end_audio|>: 1103 ids from 5
  const auto ids = b.ids();
  REQUIRE(ids.size() == 5 + 1103);
  CHECK(spans(prefill_pieces(l, ids)) ==
        std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 5}, {5, 517}, {517, 1029}, {1029, 1108}});
  for (const auto& p : prefill_pieces(l, ids)) CHECK(p.size() <= kPrefillChunk);
  // A chunk's end is a split point too: a prefix cut there has the same pieces.
  CHECK(split_point_before(l, ids, 1000) == 517);
  std::vector<uint32_t> prefix(ids.begin(), ids.begin() + 700);
  CHECK(spans(prefill_pieces(l, prefix, 517)) == std::vector<std::pair<size_t, size_t>>{{517, 700}});
  CHECK(spans(prefill_pieces(l, ids, 517)) == std::vector<std::pair<size_t, size_t>>{{517, 1029}, {1029, 1108}});
}
