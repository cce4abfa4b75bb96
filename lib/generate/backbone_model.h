// The libtorch backbone as the decoding loop's LogitsModel. Header-only on purpose:
// libmm (and lib/generate in it) never links libtorch; only the programs that include this
// header link libmm-backbone.
#pragma once

#include <string>
#include <vector>

#include "generate/generator.h"
#include "model/backbone.h"

namespace mm::generate {

class BackboneModel : public LogitsModel {
 public:
  // `state_path`: a KV state from mm-encode (or an earlier turn) that row 0 starts from;
  // empty for none.
  BackboneModel(model::Backbone& backbone, std::string state_path = "")
      : backbone_(backbone), state_path_(std::move(state_path)) {}

  size_t vocab_size() const override { return backbone_.vocab_size(); }
  size_t max_positions() const override { return backbone_.config().max_positions; }
  void reset(size_t rows, size_t capacity) override { backbone_.reset(rows, capacity); }
  std::vector<uint32_t> restore(size_t row) override {
    if (state_path_.empty()) return {};
    return backbone_.load_state(row, state_path_);
  }
  void prefill(size_t row, const uint32_t* ids, size_t count, float* logits) override {
    backbone_.prefill(row, ids, count, logits);
  }
  void step(const uint32_t* ids, float* logits) override { backbone_.step(ids, logits); }
  void copy_row(size_t from, size_t to) override { backbone_.copy_row(from, to); }

 private:
  model::Backbone& backbone_;
  std::string state_path_;
};

}  // namespace mm::generate
