#include <doctest/doctest.h>

#include "error.h"
#include "fake_model.h"
#include "generate/generator.h"

using namespace mm::generate;
using mm::testing::FakeModel;

namespace {

Layout small_layout() { return Layout::packed({{"text", 50}, {"image", 16}, {"audio", 8}}, {{"code", "text"}}); }

std::vector<uint32_t> prompt_of(const Layout& l) {
  SequenceBuilder b(l);
  b.begin_segment("text", "user");
  b.codes({4, 8, 15, 16, 23, 42});
  b.end_segment();
  b.open_turn("assistant");
  return b.ids();
}

}  // namespace

TEST_CASE("generator: constrained image samples are well-formed and streamed id by id") {
  Layout l = small_layout();
  FakeModel model(l.vocab_size());
  Generator g(model, l);
  Request r;
  r.prompt = prompt_of(l);
  r.samples = 3;
  r.seed = 5;
  std::vector<std::vector<uint32_t>> streamed(3);
  auto out = g.run(r, Constraint::visual(l, "image", Shape{4, 3, 1}),
                   [&](size_t sample, uint32_t id) { streamed.at(sample).push_back(id); });
  CHECK(out == streamed);
  for (const auto& ids : out) {
    SequenceParser p(l);
    p.push(ids);
    auto segments = p.take();
    REQUIRE(segments.size() == 1);
    CHECK(segments[0].modality == "image");
    CHECK(segments[0].shape == Shape{4, 3, 1});
  }
  CHECK(out[0] != out[1]);
  // One prefill of the prompt and the begin marker; a step per id after the first draw.
  CHECK(model.prefilled == r.prompt.size() + 1);
  CHECK(g.stats().steps == out[0].size() - 2);
  CHECK(g.stats().generated_ids == 3 * out[0].size());
}

TEST_CASE("generator: sample i equals the only sample of a run seeded seed + i") {
  Layout l = small_layout();
  FakeModel model(l.vocab_size());
  Generator g(model, l);
  Request r;
  r.prompt = prompt_of(l);
  r.samples = 2;
  r.seed = 11;
  Constraint c = Constraint::audio(l, 12);
  auto both = g.run(r, c, [](size_t, uint32_t) {});
  r.samples = 1;
  r.seed = 12;
  CHECK(g.run(r, c, [](size_t, uint32_t) {})[0] == both[1]);
}

TEST_CASE("generator: from a restored state equals from scratch, id for id, and prefills only the rest") {
  Layout l = small_layout();
  Request r;
  r.prompt = prompt_of(l);
  r.seed = 3;
  Constraint c = Constraint::text(l, "text", 30);
  FakeModel scratch(l.vocab_size());
  Generator g1(scratch, l);
  auto a = g1.run(r, c, [](size_t, uint32_t) {});
  FakeModel cached(l.vocab_size());
  cached.state.assign(r.prompt.begin(), r.prompt.end() - 2);  // the stream without the new turn's markers
  Generator g2(cached, l);
  auto b = g2.run(r, c, [](size_t, uint32_t) {});
  CHECK(a == b);
  CHECK(cached.prefilled == 3);  // <|end_turn|>, <|assistant|> and <|begin_text|>
  CHECK(g2.stats().cached_ids == r.prompt.size() - 2);
  CHECK(g2.row0_ids() == cached.row(0));
  // A state that holds the whole prompt still works: the begin marker is prefilled.
  FakeModel full(l.vocab_size());
  full.state = r.prompt;
  Generator g3(full, l);
  CHECK(g3.run(r, c, [](size_t, uint32_t) {}) == a);
  // A state from another stream is refused.
  FakeModel wrong(l.vocab_size());
  wrong.state = {0, 3, 6, 19};
  Generator g4(wrong, l);
  CHECK_THROWS_WITH_AS(g4.run(r, c, [](size_t, uint32_t) {}), doctest::Contains("does not match"), mm::Error);
}

TEST_CASE("generator: guidance runs the unconditional rows in the same batch and changes the draws") {
  Layout l = small_layout();
  Request r;
  r.prompt = prompt_of(l);
  r.unconditional = {l.marker(Marker::Bos), l.marker(Marker::Assistant)};
  r.samples = 2;
  r.seed = 1;
  r.sampling.temperature = 0;
  Constraint c = Constraint::visual(l, "image", Shape{3, 3, 1});
  FakeModel plain(l.vocab_size());
  auto without = Generator(plain, l).run(r, c, [](size_t, uint32_t) {});
  r.sampling.cfg = 4.0f;
  FakeModel guided(l.vocab_size());
  Generator g(guided, l);
  auto with = g.run(r, c, [](size_t, uint32_t) {});
  CHECK(without != with);
  // Rows 2 and 3 are the unconditional twins: their own prompt, then the same ids.
  std::vector<uint32_t> twin = r.unconditional;
  twin.insert(twin.end(), with[0].begin(), with[0].end() - 1);
  CHECK(guided.row(2) == twin);
  CHECK(g.stats().prefilled_ids == r.prompt.size() + 1 + r.unconditional.size() + 1);
}

TEST_CASE("generator: a prompt and segment longer than the model's positions are refused before any work") {
  Layout l = small_layout();
  struct Short : FakeModel {
    using FakeModel::FakeModel;
    size_t max_positions() const override { return 20; }
  } model(l.vocab_size());
  Generator g(model, l);
  Request r;
  r.prompt = prompt_of(l);
  CHECK_THROWS_WITH_AS(g.run(r, Constraint::visual(l, "image", Shape{4, 4, 1}), [](size_t, uint32_t) {}),
                       doctest::Contains("need more than the model's 20 positions"), mm::Error);
  CHECK(model.resets == 0);
}

TEST_CASE("generator: without a state the prompt is prefilled in the pieces a state would hold") {
  Layout l = small_layout();
  Request r;
  r.prompt = prompt_of(l);
  const size_t stream_ids = r.prompt.size() - 2;  // the stream's ids; the turn's markers follow
  Constraint c = Constraint::text(l, "text", 5);
  FakeModel scratch(l.vocab_size());
  Generator(scratch, l).run(r, c, [](size_t, uint32_t) {});
  // <|bos|>, the user's segment, then <|end_turn|> <|assistant|> <|begin_text|>.
  CHECK(scratch.prefill_calls == std::vector<std::pair<size_t, size_t>>{{0, 1}, {0, stream_ids - 1}, {0, 3}});
  FakeModel cached(l.vocab_size());
  cached.state.assign(r.prompt.begin(), r.prompt.begin() + long(stream_ids));
  Generator(cached, l).run(r, c, [](size_t, uint32_t) {});
  CHECK(cached.prefill_calls == std::vector<std::pair<size_t, size_t>>{{0, 3}});
  CHECK(cached.row(0) == scratch.row(0));
}
