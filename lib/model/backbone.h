// The unified backbone: one Llama-family decoder over the bundle's single vocabulary.
// This header is torch-free on purpose: programs and lib/generate use the backbone through
// it without paying for libtorch's headers; the implementation lives in libmm-backbone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/places.h"

namespace mm::model {

// The bundle config's "backbone" object; every hyper-parameter comes from there.
struct BackboneConfig {
  uint32_t vocab_size = 0;
  uint32_t hidden_size = 0;
  uint32_t layers = 0;
  uint32_t heads = 0;
  uint32_t kv_heads = 0;           // < heads: grouped-query attention
  uint32_t intermediate_size = 0;  // SwiGLU width
  uint32_t max_positions = 0;
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  std::string qk_norm = "none";    // none | layernorm (Chameleon, with bias) | rmsnorm (Emu3.5)
  bool tie_embeddings = false;
  // The ids the model was trained to produce (mm-train --softmax seen), ascending; empty:
  // every id. Inference gives the others no probability, and the head's product runs over
  // these alone.
  std::vector<uint32_t> output_ids;
  // What changes each id's place (places.h): "grid_place_embeddings", N learned row and N
  // column vectors added to the embedding of every image or video code at row, column < N
  // (0: none); "align_visual_positions", each image or video starting at a rotary position
  // that is a multiple of it (0: positions count up by one). The markers come from the
  // bundle's layout (BundleConfig::parse fills them when either is set).
  uint32_t grid_places = 0;
  uint32_t align_visual = 0;
  // "grid_rope": for the codes of images and video frames, rotary pairs j with j % 4 == 1
  // turn by the code's row and pairs with j % 4 == 3 by its column instead of its position
  // (all other pairs, and every pair of other ids, by the position), so that the same place
  // in two images is the same rotation in those pairs, whatever lies between them.
  bool grid_rope = false;
  VisualMarkers visual_markers;
  bool tracks_places() const { return grid_places > 0 || align_visual > 0 || grid_rope; }
  bool needs_grid() const { return grid_places > 0 || grid_rope; }

  static BackboneConfig from_json(const std::string& backbone_object);  // throws mm::Error
  std::string to_json() const;
  uint64_t parameter_count() const;
};

struct RunOptions {
  std::string device = "cpu";  // cpu | cuda
  std::string dtype = "f32";   // f32 | bf16 | f16
  int threads = 0;             // CPU threads; 0: all cores
};

// A batch of independent sequences (rows) over one set of weights, each with its own
// preallocated KV cache. Rows may have different lengths (classifier-free guidance puts
// the conditional and unconditional sequences in one batch).
class Backbone {
 public:
  // Loads the bundle at `bundle_dir` (config.json + safetensors). Throws mm::Error naming
  // the tensor at fault for any mismatch between config and weights. There are no rows
  // (and no cache) until reset().
  Backbone(const std::string& bundle_dir, const RunOptions& options);
  ~Backbone();
  Backbone(const Backbone&) = delete;
  Backbone& operator=(const Backbone&) = delete;

  const BackboneConfig& config() const;
  uint32_t vocab_size() const { return config().vocab_size; }

  // Drops every row and starts `rows` empty ones, each with room for `capacity` ids.
  void reset(size_t rows, size_t capacity);
  size_t rows() const;
  size_t length(size_t row) const;  // ids consumed by `row` so far

  // Appends `count` ids to one row (prefill: one forward pass per 512 ids). Writes the logits
  // of the last position to `logits` (vocab_size floats) when non-null, and the final-norm
  // hidden states of every new position (count x hidden_size) to `hidden` when non-null.
  void prefill(size_t row, const uint32_t* ids, size_t count, float* logits, std::vector<float>* hidden = nullptr);
  // Appends one id to every row (ids: rows() of them) in one batched forward pass (decode)
  // and writes rows() x vocab_size logits.
  void step(const uint32_t* ids, float* logits);
  // Makes row `to` a copy of row `from` (cache and length): n samples after one prefill.
  void copy_row(size_t from, size_t to);
  // Cuts `row` back to its first `length` ids (no more than it holds): what follows is
  // computed again by the next prefill or step, over the stale cache entries. mm-describe
  // re-prefills an answer that was decoded id by id, so its state holds prefill floats.
  void truncate(size_t row, size_t length);

  // The KV state of `row` and the ids it consumed, so a later program skips the prefill.
  // The file names the bundle it came from; loading a state from another bundle, or one
  // longer than the capacity, throws mm::Error.
  void save_state(size_t row, const std::vector<uint32_t>& ids, const std::string& path) const;
  std::vector<uint32_t> load_state(size_t row, const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void prefill_chunk(size_t row, const uint32_t* ids, size_t count, float* logits, std::vector<float>* hidden);
};

}  // namespace mm::model
