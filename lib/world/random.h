// The world's own pseudo-random generator. std::uniform_*_distribution gives different
// numbers under different standard libraries; the corpus must be the same everywhere, so
// every draw goes through the project's SplitMix64 and integer arithmetic only.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "splitmix64.h"

namespace mm::world {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    return splitmix64(state_);
  }

  // Uniform in [0, n), without modulo bias (rejection of the short last interval).
  uint64_t below(uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
      uint64_t v = next();
      if (v < limit) return v % n;
    }
  }

  // Uniform in [lo, hi].
  int between(int lo, int hi) { return lo + int(below(uint64_t(hi - lo + 1))); }

  bool chance(int numerator, int denominator) { return below(uint64_t(denominator)) < uint64_t(numerator); }

  template <typename T>
  void shuffle(std::vector<T>& items) {  // Fisher-Yates
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

 private:
  uint64_t state_;
};

// One stream per (seed, index): scenes are independent of how many came before.
inline uint64_t mix_seed(uint64_t seed, uint64_t index) {
  Random r(seed ^ 0x6d6d2d776f726c64ull);  // "mm-world"
  uint64_t a = r.next();
  Random s(a ^ (index * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull));
  return s.next();
}

}  // namespace mm::world
