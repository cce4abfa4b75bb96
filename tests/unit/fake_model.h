// A LogitsModel for tests: each row's logits are a fixed pseudo-random function of its last
// two ids and its length, so generation is deterministic and depends on the whole history
// the way a real backbone's does; restore() replays a "state" of given ids.
#pragma once

#include <cstdint>
#include <vector>

#include "error.h"
#include "generate/generator.h"

namespace mm::testing {

class FakeModel : public generate::LogitsModel {
 public:
  explicit FakeModel(size_t vocab) : vocab_(vocab) {}

  size_t vocab_size() const override { return vocab_; }
  void reset(size_t rows, size_t capacity) override {
    rows_.assign(rows, {});
    capacity_ = capacity;
    ++resets;
  }
  std::vector<uint32_t> restore(size_t row) override {
    rows_.at(row) = state;
    return state;
  }
  void prefill(size_t row, const uint32_t* ids, size_t count, float* logits) override {
    for (size_t i = 0; i < count; ++i) append(row, ids[i]);
    prefilled += count;
    prefill_calls.push_back({row, count});
    if (logits) fill(row, logits);
  }
  void step(const uint32_t* ids, float* logits) override {
    for (size_t r = 0; r < rows_.size(); ++r) {
      append(r, ids[r]);
      fill(r, logits + r * vocab_);
    }
    ++steps;
  }
  void copy_row(size_t from, size_t to) override { rows_.at(to) = rows_.at(from); }
  const std::vector<uint32_t>& row(size_t r) const { return rows_.at(r); }

  std::vector<uint32_t> state;  // what restore() puts in a row
  size_t prefilled = 0, steps = 0, resets = 0;
  std::vector<std::pair<size_t, size_t>> prefill_calls;  // (row, ids) of each prefill

 private:
  void append(size_t row, uint32_t id) {
    if (rows_.at(row).size() >= capacity_) throw Error("fake model: row over capacity");
    rows_[row].push_back(id);
  }
  void fill(size_t row, float* logits) const {
    const auto& ids = rows_[row];
    uint64_t h = ids.size() * 0x9E3779B97F4A7C15ull;
    for (size_t i = ids.size() >= 2 ? ids.size() - 2 : 0; i < ids.size(); ++i) h = (h ^ ids[i]) * 0x100000001B3ull;
    for (size_t v = 0; v < vocab_; ++v) {
      uint64_t x = (h + v) * 0xD6E8FEB86659FD93ull;
      x ^= x >> 32;
      logits[v] = float(x % 1000) / 250.0f;  // 0 .. 4
    }
  }

  size_t vocab_;
  size_t capacity_ = 0;
  std::vector<std::vector<uint32_t>> rows_;
};

}  // namespace mm::testing
