// The Llama-family decoder as a libtorch module, with Hugging Face parameter names
// (named_parameters() yields "model.layers.0.self_attn.q_proj.weight", ...), so that one
// set of module code serves inference with a KV cache (Backbone, in backbone.cpp) and a
// plain causal forward with autograd over a batch (training, mm-train). This header
// includes torch: only libmm-backbone and programs that train include it.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/backbone.h"

namespace mm::model {

class WeightSet;

// Where one layer's keys and values live while running with a cache: views of the cache
// for the rows in the batch ([batch, kv_heads, capacity, head_dim]), where the new
// positions go, and how many positions to attend over.
struct CacheSlot {
  at::Tensor keys, values;
  int64_t start = -1;          // the new positions are start .. start+T-1 in every row
  at::Tensor write_positions;  // otherwise (T == 1): the position of each row's new id, [batch]
  int64_t attend_length = 0;   // keys 0 .. attend_length-1 are read (the mask hides the rest)
};

// Pieces with one weight (and maybe a bias), named as Hugging Face names them.
struct RmsNorm : torch::nn::Module {
  RmsNorm(int64_t dim, double eps, bool allocate);
  at::Tensor forward(const at::Tensor& x) const;
  at::Tensor weight;
  double eps;
};

// Chameleon's per-head LayerNorm: normalised over the head dimension, then a weight and a
// bias per head ([heads, head_dim]).
struct HeadLayerNorm : torch::nn::Module {
  HeadLayerNorm(int64_t heads, int64_t head_dim, double eps, bool allocate);
  at::Tensor forward(const at::Tensor& x) const;  // x: [..., heads, head_dim]
  at::Tensor weight, bias;
  double eps;
};

struct Linear : torch::nn::Module {
  Linear(int64_t in, int64_t out, bool allocate);
  // A few rows on the CPU without autograd (decoding) take the small-batch kernel
  // (cpu_gemm.h); everything else, training included, libtorch's at::linear.
  at::Tensor forward(const at::Tensor& x) const;
  at::Tensor weight;
};

struct Attention : torch::nn::Module {
  Attention(const BackboneConfig& config, bool allocate);
  // x: [B, T, hidden]; cos, sin: [B, 1, T, head_dim]; mask: additive, [B or 1, 1, T, L],
  // or undefined when every key is visible. Without a cache slot the keys are this call's
  // own (L == T).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                     CacheSlot* cache) const;
  int64_t heads, kv_heads, head_dim;
  std::string qk_norm;
  std::shared_ptr<Linear> q_proj, k_proj, v_proj, o_proj;
  std::shared_ptr<torch::nn::Module> q_norm, k_norm;  // RmsNorm or HeadLayerNorm, or null
};

struct Mlp : torch::nn::Module {
  Mlp(const BackboneConfig& config, bool allocate);
  at::Tensor forward(const at::Tensor& x) const;
  std::shared_ptr<Linear> gate_proj, up_proj, down_proj;
};

struct DecoderLayer : torch::nn::Module {
  DecoderLayer(const BackboneConfig& config, bool allocate);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                     CacheSlot* cache) const;
  std::shared_ptr<RmsNorm> input_layernorm, post_attention_layernorm;
  std::shared_ptr<Attention> self_attn;
  std::shared_ptr<Mlp> mlp;
};

struct Embedding : torch::nn::Module {
  // `zeros`: allocated as zeros rather than drawn (grid places start as a model without them).
  Embedding(int64_t count, int64_t dim, bool allocate, bool zeros = false);
  at::Tensor weight;
};

// "model.*": embeddings, layers, final norm.
struct LlamaModel : torch::nn::Module {
  LlamaModel(const BackboneConfig& config, bool allocate);
  std::shared_ptr<Embedding> embed_tokens;
  std::shared_ptr<Embedding> embed_grid_rows, embed_grid_columns;  // null without grid places
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  std::shared_ptr<RmsNorm> norm;
};

class Llama : public torch::nn::Module {
 public:
  // `allocate`: parameters get their shapes, drawn like mm-bundle init draws them (normal,
  // std 0.02; norms 1, biases 0), for training from scratch; otherwise they stay empty until
  // load() fills them, so loading a checkpoint never holds two copies.
  Llama(const BackboneConfig& config, bool allocate = false);

  // Fills every parameter from the bundle's weights, converted to `dtype` on `device`.
  // On the CPU, when the file already has that dtype and alignment, the tensor is a view of
  // the mapping (no copy). Throws mm::Error naming the tensor for any mismatch.
  void load(const WeightSet& weights, at::ScalarType dtype, const at::Device& device);

  // Adds grid place embeddings of `size` rows and columns, zeros (the model computes what it
  // did without them), to a model that has none: mm-train --grid-places. Throws mm::Error
  // when the config has no layout markers, or other grid places.
  void add_grid_places(uint32_t size);
  // Starts images and videos at rotary positions that are multiples of `align` (0: plain
  // counting): mm-train --align-visual. Throws mm::Error without layout markers.
  void align_visual_positions(uint32_t align);
  // Turns some rotary pairs of image and video codes by row and column (grid_rope in
  // backbone.h): mm-train --grid-rope. Throws mm::Error without layout markers.
  void use_grid_rope(bool on);
  // Each id's place (places.h), read from each row's ids from its start: rotary positions
  // [B, T] and grid places [B, T, 2] (row, column; -1: none; undefined unless grid place
  // embeddings or grid_rope use them), on the ids' device.
  struct Places {
    at::Tensor positions, grid;
  };
  Places places(const at::Tensor& ids) const;
  // The places of `count` ids for each tracker's row (ids row after row), pushed through
  // the trackers, which they advance: what places() does for whole rows, and the cache path
  // for the ids it appends. `grid`: whether to give the grid places too.
  static Places track_places(std::vector<PlaceTracker>& trackers, const uint32_t* ids, size_t count, bool grid,
                             const at::Device& device);

  // The plain causal forward for training: ids [B, T] (int64) -> logits [B, T, vocab].
  at::Tensor forward(const at::Tensor& ids) const;
  // The same forward without the head: final-norm hidden states [B, T, hidden], so that a
  // trainer applies the head only at the positions it scores (the vocabulary is most of
  // the cost when only answers are trained on).
  at::Tensor hidden(const at::Tensor& ids) const;

  // The cached forward: ids and their positions [B, T]; their grid places [B, T, 2]
  // (undefined: none); mask [B or 1, 1, T, L] (undefined: nothing hidden); `slots` one per
  // layer. Returns the final-norm hidden states [B, T, hidden].
  at::Tensor forward_cached(const at::Tensor& ids, const at::Tensor& positions, const at::Tensor& places,
                            const at::Tensor& mask, std::vector<CacheSlot>& slots) const;
  at::Tensor logits(const at::Tensor& hidden) const;  // the head: [.., hidden] -> [.., vocab]
  // The head's weight [vocab, hidden]: lm_head's, or the embeddings' when they are tied.
  const at::Tensor& head_weight() const { return lm_head ? lm_head->weight : model->embed_tokens->weight; }
  // For inference after load(): logits() computes only the config's output_ids and gives
  // every other id -inf. Training leaves this off, since its loss may score any id.
  void restrict_to_output_ids();

  const BackboneConfig& config() const { return config_; }
  int64_t head_dim() const { return int64_t(config_.hidden_size / config_.heads); }
  std::shared_ptr<LlamaModel> model;
  std::shared_ptr<Linear> lm_head;  // null when tied to the embeddings

 private:
  BackboneConfig config_;
  at::Tensor inv_freq_;  // rotary frequencies, float32
  // With grid_rope, which of (position, row, column) turns each rotary pair: [head_dim / 2].
  at::Tensor pair_source_;
  at::Tensor output_head_, output_index_;  // the head's rows of output_ids, and those ids (restricted)
  at::Tensor hidden_states(const at::Tensor& ids, const at::Tensor& positions, const at::Tensor& places,
                           const at::Tensor& mask, std::vector<CacheSlot>* slots) const;
};

// "f32" | "bf16" | "f16" -> the scalar type; throws mm::UsageError otherwise.
at::ScalarType scalar_type_from_name(const std::string& name);

}  // namespace mm::model
