// Choosing the next id from float logits: constraint mask, repetition penalty, temperature,
// top-k, top-p, then a draw from a seeded generator, so that the same seed gives the same
// ids on any machine (the logits themselves are the backbone's business).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "generate/layout.h"

namespace mm::generate {

struct SamplingOptions {
  float temperature = 1.0f;     // 0: the most likely id (greedy)
  uint32_t top_k = 0;           // keep the k most likely ids; 0: all
  float top_p = 1.0f;           // keep the smallest set whose probability reaches p
  float repeat_penalty = 1.0f;  // > 1 discourages ids already in the sequence (CTRL's rule)
  float cfg = 1.0f;             // classifier-free guidance scale; 1: conditional only

  void check() const;  // throws mm::UsageError for a value out of range
};

// What the bundle config's "generation" section says for one modality:
//   "generation": {"text": {"temperature": 0.7, "top_p": 0.9, "repeat_penalty": 1.1, "max_tokens": 256},
//                  "image": {"temperature": 1.0, "top_k": 2048, "cfg": 3.0, "grid": [32, 32]},
//                  "video": {..., "grid": [16, 16], "frames": 8, "fps": 8}, "audio": {..., "seconds": 5}}
// Every key is optional; what is absent keeps the built-in default.
struct GenerationDefaults {
  SamplingOptions sampling;
  Shape grid{32, 32, 1};  // image and video frames, in codes
  bool grid_given = false;  // the bundle named the grid (else a program may derive one)
  uint32_t frames = 4;    // video
  double fps = 8;         // video
  double seconds = 5;     // audio
  size_t max_tokens = 256;  // text and code
  // `generation_json`: the section (a JSON object), or empty for the built-in defaults.
  static GenerationDefaults from_json(const std::string& generation_json, const std::string& modality);
};

// Parses "WxH" (codes per row x rows), e.g. "32x24". Throws mm::UsageError.
Shape parse_grid(const std::string& text);

// cond = uncond + scale * (cond - uncond), in place: guidance over the two rows of a batch.
void guide(float* cond, const float* uncond, size_t vocab, float scale);

class Sampler {
 public:
  explicit Sampler(uint64_t seed) : rng_(seed) {}
  // Marks `id` as part of the sequence, for the repetition penalty.
  void seen(uint32_t id);
  void seen(const std::vector<uint32_t>& ids) {
    for (uint32_t id : ids) seen(id);
  }
  // Draws an id that `allowed` permits. `logits` (vocab floats) is used as scratch. A
  // forced id is returned as is, without drawing, so forced steps leave the generator's
  // sequence unchanged.
  uint32_t sample(float* logits, size_t vocab, const SamplingOptions& options, const Constraint::Allowed& allowed);
  // The candidates the last sample() drew from, with their probabilities: most likely
  // first after top-k or top-p, in id order otherwise (for tests).
  const std::vector<std::pair<uint32_t, float>>& candidates() const { return candidates_; }

 private:
  double uniform();  // [0, 1) from 53 random bits: the same on every platform

  std::mt19937_64 rng_;
  std::vector<uint8_t> seen_mask_;
  std::vector<uint32_t> seen_ids_;
  std::vector<std::pair<uint32_t, float>> candidates_;
};

}  // namespace mm::generate
