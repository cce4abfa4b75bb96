// The decoding loop: prefill once, copy the row for each sample, then one batched step per
// id, with the constraint choosing what may come next and classifier-free guidance mixing
// each sample's conditional row with its unconditional twin. It drives any LogitsModel:
// the libtorch backbone through an adapter (generate/backbone_model.h), a fake in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "generate/layout.h"
#include "generate/sampling.h"

namespace mm::generate {

// What the decoding loop needs from a backbone: rows of sequences, each with its cache.
class LogitsModel {
 public:
  virtual ~LogitsModel() = default;
  virtual size_t vocab_size() const = 0;
  virtual size_t max_positions() const { return SIZE_MAX; }  // the longest row it can hold
  // Drops every row and starts `rows` empty ones with room for `capacity` ids each.
  virtual void reset(size_t rows, size_t capacity) = 0;
  // The ids row `row` already holds after reset() (a saved KV state); none by default.
  virtual std::vector<uint32_t> restore(size_t /*row*/) { return {}; }
  // Appends ids to one row; writes the last position's logits (vocab floats) when non-null.
  virtual void prefill(size_t row, const uint32_t* ids, size_t count, float* logits) = 0;
  // Appends one id to every row; writes rows x vocab logits.
  virtual void step(const uint32_t* ids, float* logits) = 0;
  virtual void copy_row(size_t from, size_t to) = 0;
};

// Prefills ids[from, ...) into `row` in the pieces prefill_pieces() gives (the one rule
// every prefill follows); the last piece's logits go to `logits` when non-null.
void prefill_in_pieces(LogitsModel& model, const Layout& layout, size_t row, const std::vector<uint32_t>& ids,
                       size_t from, float* logits = nullptr);

struct Request {
  // The conditional sequence (SequenceBuilder ids). It is prefilled in the pieces
  // prefill_pieces() gives, from where a restored state ends or from the start: the same
  // pieces either way, so the floats, and the ids drawn, are the same with or without it.
  std::vector<uint32_t> prompt;
  std::vector<uint32_t> unconditional;   // guidance's sequence; used when sampling.cfg != 1
  size_t samples = 1;
  SamplingOptions sampling;
  uint64_t seed = 0;                     // sample i draws from seed + i
};

struct GenerationStats {
  size_t prompt_ids = 0;    // the conditional prompt's length
  size_t cached_ids = 0;    // of which a restored state held
  size_t prefilled_ids = 0; // ids run through prefill (conditional row, plus the unconditional one)
  size_t steps = 0;         // batched decode steps
  size_t generated_ids = 0; // ids produced over all samples (forced markers included)
  double prefill_seconds = 0, decode_seconds = 0;  // wall time
  double prefill_cpu_seconds = 0, decode_cpu_seconds = 0;  // the process's CPU time, all threads
};

class Generator {
 public:
  Generator(LogitsModel& model, const Layout& layout) : model_(model), layout_(layout) {}

  // Generates one segment per sample under `constraint` (copied per sample). Calls
  // `on_id(sample, id)` for every id as soon as it is chosen, forced markers included, in
  // order per sample. Throws mm::Error when a restored state is not a prefix of the prompt.
  // Returns each sample's ids.
  std::vector<std::vector<uint32_t>> run(const Request& request, const Constraint& constraint,
                                         const std::function<void(size_t, uint32_t)>& on_id);

  const GenerationStats& stats() const { return stats_; }
  // The ids row 0 (sample 0's conditional row) holds after run(): the prompt and every
  // generated id but the last, which was never fed back.
  const std::vector<uint32_t>& row0_ids() const { return row0_; }

 private:
  LogitsModel& model_;
  const Layout& layout_;
  GenerationStats stats_;
  std::vector<uint32_t> row0_;
};

}  // namespace mm::generate
