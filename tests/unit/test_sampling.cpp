#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "error.h"
#include "generate/layout.h"
#include "generate/sampling.h"

using namespace mm::generate;

namespace {

Constraint::Allowed everything(size_t vocab) {
  Constraint::Allowed a;
  a.ranges.push_back({0, uint32_t(vocab)});
  return a;
}

// Logits whose softmax is the given probabilities.
std::vector<float> logits_of(const std::vector<double>& probabilities) {
  std::vector<float> l;
  for (double p : probabilities) l.push_back(float(std::log(p)));
  return l;
}

std::set<uint32_t> candidate_ids(const Sampler& s) {
  std::set<uint32_t> ids;
  for (const auto& c : s.candidates()) ids.insert(c.first);
  return ids;
}

}  // namespace

TEST_CASE("sampling: top-k 1 and temperature 0 are the argmax, whatever the seed") {
  std::vector<float> base = {0.1f, 2.5f, -1.0f, 2.4f, 0.0f};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Sampler s(seed);
    std::vector<float> l = base;
    SamplingOptions o;
    o.top_k = 1;
    CHECK(s.sample(l.data(), l.size(), o, everything(l.size())) == 1);
    l = base;
    o = SamplingOptions{};
    o.temperature = 0;
    CHECK(s.sample(l.data(), l.size(), o, everything(l.size())) == 1);
  }
}

TEST_CASE("sampling: top-p keeps the smallest set that reaches p, most likely first") {
  std::vector<float> base = logits_of({0.05, 0.5, 0.1, 0.3, 0.05});
  SamplingOptions o;
  Sampler s(1);
  o.top_p = 0.75f;  // 0.5 + 0.3 = 0.8 reaches it; 0.5 alone does not
  std::vector<float> l = base;
  s.sample(l.data(), l.size(), o, everything(l.size()));
  CHECK(candidate_ids(s) == std::set<uint32_t>{1, 3});
  CHECK(s.candidates()[0].second == doctest::Approx(0.5 / 0.8));
  o.top_p = 0.85f;  // needs 0.1 too
  l = base;
  s.sample(l.data(), l.size(), o, everything(l.size()));
  CHECK(candidate_ids(s) == std::set<uint32_t>{1, 2, 3});
  o.top_p = 0.4f;
  l = base;
  CHECK(s.sample(l.data(), l.size(), o, everything(l.size())) == 1);
  CHECK(s.candidates().size() == 1);
}

TEST_CASE("sampling: top-p over a large flat vocabulary keeps what a full sort would") {
  std::mt19937_64 rng(5);
  std::vector<float> base(5000);
  for (auto& l : base) l = float(rng() % 10000) / 2500.0f;
  for (float p : {0.01f, 0.3f, 0.9f, 0.999f}) {
    for (uint32_t k : {0u, 700u}) {
      // Brute force: sort everything (most likely first, ties by id), keep until p.
      std::vector<std::pair<uint32_t, double>> all;
      for (uint32_t i = 0; i < base.size(); ++i) all.push_back({i, std::exp(double(base[i]) - 4.0)});
      std::sort(all.begin(), all.end(), [&](auto& a, auto& b) {
        return base[a.first] > base[b.first] || (base[a.first] == base[b.first] && a.first < b.first);
      });
      if (k) all.resize(k);
      double total = 0, cumulative = 0;
      for (auto& c : all) total += c.second;
      std::set<uint32_t> want;
      for (auto& c : all) {
        if (cumulative >= p * total) break;
        cumulative += c.second;
        want.insert(c.first);
      }
      SamplingOptions o;
      o.top_p = p;
      o.top_k = k;
      Sampler s(1);
      std::vector<float> l = base;
      s.sample(l.data(), l.size(), o, everything(l.size()));
      CAPTURE(p);
      CAPTURE(k);
      CHECK(candidate_ids(s) == want);
    }
  }
}

TEST_CASE("sampling: top-k keeps the k largest; temperature sharpens") {
  std::vector<float> base = logits_of({0.1, 0.2, 0.3, 0.4});
  SamplingOptions o;
  o.top_k = 2;
  Sampler s(3);
  std::vector<float> l = base;
  s.sample(l.data(), l.size(), o, everything(l.size()));
  CHECK(candidate_ids(s) == std::set<uint32_t>{2, 3});
  CHECK(s.candidates()[0].second == doctest::Approx(0.4 / 0.7));
  o = SamplingOptions{};
  o.temperature = 0.5f;  // p^2, renormalised
  l = base;
  s.sample(l.data(), l.size(), o, everything(l.size()));
  REQUIRE(s.candidates().size() == 4);
  CHECK(s.candidates()[3].first == 3);  // in id order when nothing is cut
  CHECK(s.candidates()[3].second == doctest::Approx(0.16 / 0.30));
}

TEST_CASE("sampling: draws follow the distribution, and the same seed gives the same ids") {
  std::vector<float> base = logits_of({0.2, 0.5, 0.3});
  SamplingOptions o;
  auto draw = [&](uint64_t seed, size_t count) {
    Sampler s(seed);
    std::vector<uint32_t> ids;
    for (size_t i = 0; i < count; ++i) {
      std::vector<float> l = base;
      ids.push_back(s.sample(l.data(), l.size(), o, everything(l.size())));
    }
    return ids;
  };
  auto a = draw(99, 20000);
  CHECK(a == draw(99, 20000));
  CHECK(a != draw(100, 20000));
  double ones = double(std::count(a.begin(), a.end(), 1u)) / a.size();
  double twos = double(std::count(a.begin(), a.end(), 2u)) / a.size();
  CHECK(ones == doctest::Approx(0.5).epsilon(0.04));
  CHECK(twos == doctest::Approx(0.3).epsilon(0.05));
}

TEST_CASE("sampling: the constraint mask and forced ids; the penalty discourages what was seen") {
  std::vector<float> base = {5.0f, 1.0f, 0.5f, 4.0f};
  Sampler s(0);
  SamplingOptions greedy;
  greedy.temperature = 0;
  Constraint::Allowed some;
  some.ranges = {{1, 3}};
  std::vector<float> l = base;
  CHECK(s.sample(l.data(), l.size(), greedy, some) == 1);
  Constraint::Allowed forced;
  forced.forced = true;
  forced.id = 2;
  CHECK(s.sample(l.data(), l.size(), greedy, forced) == 2);
  greedy.repeat_penalty = 2.0f;  // 5 / 2 < 4
  s.seen(0);
  l = base;
  CHECK(s.sample(l.data(), l.size(), greedy, everything(4)) == 3);
  CHECK(l[0] == 2.5f);
  Constraint::Allowed none;
  CHECK_THROWS_AS(s.sample(l.data(), l.size(), greedy, none), mm::Error);
}

TEST_CASE("sampling: ids a model never produces (-inf) are never drawn; none left is an error") {
  const float never = -std::numeric_limits<float>::infinity();
  std::vector<float> base = {never, 0.0f, never, -30.0f};
  Sampler s(7);
  SamplingOptions hot;
  hot.temperature = 5;
  for (int draw = 0; draw < 200; ++draw) {
    std::vector<float> l = base;
    uint32_t id = s.sample(l.data(), l.size(), hot, everything(4));
    CHECK((id == 1 || id == 3));
  }
  Constraint::Allowed only_never;
  only_never.ranges = {{0, 1}, {2, 3}};
  std::vector<float> l = base;
  CHECK_THROWS_AS(s.sample(l.data(), l.size(), hot, only_never), mm::Error);
  hot.temperature = 0;
  l = base;
  CHECK_THROWS_AS(s.sample(l.data(), l.size(), hot, only_never), mm::Error);
}

TEST_CASE("sampling: guidance moves away from the unconditional logits") {
  std::vector<float> cond = {1, 2, 3}, uncond = {1, 3, 1};
  guide(cond.data(), uncond.data(), 3, 3.0f);
  CHECK(cond == std::vector<float>{1, 0, 7});
}

TEST_CASE("sampling: defaults per modality from the bundle, grids from the command line") {
  auto image = GenerationDefaults::from_json(R"({"image":{"top_k":100,"cfg":4.5,"grid":[8,6]}})", "image");
  CHECK(image.sampling.top_k == 100);
  CHECK(image.sampling.cfg == 4.5f);
  CHECK(image.grid == Shape{8, 6, 1});
  auto text = GenerationDefaults::from_json("{}", "text");
  CHECK(text.sampling.cfg == 1.0f);
  CHECK(text.sampling.top_p == 0.9f);
  CHECK_THROWS_WITH_AS(GenerationDefaults::from_json(R"({"image":{"top_p":2}})", "image"),
                       doctest::Contains("top_p"), mm::Error);
  CHECK_THROWS_WITH_AS(GenerationDefaults::from_json(R"({"image":{"grid":[0,3]}})", "image"),
                       doctest::Contains("grid"), mm::Error);
  CHECK(parse_grid("32x24") == Shape{32, 24, 1});
  CHECK_THROWS_AS(parse_grid("32"), mm::UsageError);
  CHECK_THROWS_AS(parse_grid("0x4"), mm::UsageError);
  CHECK_THROWS_AS(parse_grid("ax4"), mm::UsageError);
  SamplingOptions bad;
  bad.top_p = 0;
  CHECK_THROWS_AS(bad.check(), mm::UsageError);
}
