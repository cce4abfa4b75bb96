#include "model/llama.h"

#include <torch/version.h>

#include <cmath>
#include <cstring>

#include "error.h"
#include "model/bundle.h"
#include "model/cpu_attention.h"
#include "model/cpu_gemm.h"
#include "model/cpu_rmsnorm.h"

// Fused attention (one kernel, flash or memory-efficient on CUDA) arrived in libtorch 2.0;
// Debian's 1.13 takes the plain matmul-softmax path. Both see the same layout and mask.
#if TORCH_VERSION_MAJOR >= 2
#define MM_FUSED_ATTENTION 1
#else
#define MM_FUSED_ATTENTION 0
#endif

namespace mm::model {

namespace {

at::Tensor parameter(torch::nn::Module& m, const char* name, at::IntArrayRef shape, bool allocate, double fill = NAN) {
  at::Tensor t;
  if (!allocate) {
    t = at::empty({0});
  } else if (std::isnan(fill)) {
    t = at::empty(shape).normal_(0.0, 0.02);
  } else {
    t = at::full(shape, fill);
  }
  return m.register_parameter(name, t);
}

// HF's rotate_half: the second half of the head negated, then the first.
at::Tensor rotate_half(const at::Tensor& x) {
  int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// x·Wᵀ: a few rows on the CPU without autograd (decoding) by the small-batch kernel,
// everything else (prefill, training, CUDA) by libtorch.
at::Tensor project(const at::Tensor& x, const at::Tensor& w) {
  return small_batch_linear_applies(x, w) ? small_batch_linear(x, w) : at::linear(x, w);
}

}  // namespace

at::ScalarType scalar_type_from_name(const std::string& name) {
  if (name == "f32") return at::kFloat;
  if (name == "bf16") return at::kBFloat16;
  if (name == "f16") return at::kHalf;
  throw UsageError("unknown dtype '" + name + "' (f32, bf16 or f16)");
}

RmsNorm::RmsNorm(int64_t dim, double eps_, bool allocate) : eps(eps_) { weight = parameter(*this, "weight", {dim}, allocate, 1.0); }

at::Tensor RmsNorm::forward(const at::Tensor& x) const {
  if (rms_norm_rows_applies(x, weight)) return rms_norm_rows(x, weight, eps);  // inference on the CPU
  // In float32 whatever the model's dtype, as the reference implementation does.
  at::Tensor h = x.to(at::kFloat);
  h = h * at::rsqrt(h.pow(2).mean(-1, true) + eps);
  return weight * h.to(x.scalar_type());
}

HeadLayerNorm::HeadLayerNorm(int64_t heads, int64_t head_dim, double eps_, bool allocate) : eps(eps_) {
  weight = parameter(*this, "weight", {heads, head_dim}, allocate, 1.0);
  bias = parameter(*this, "bias", {heads, head_dim}, allocate, 0.0);
}

at::Tensor HeadLayerNorm::forward(const at::Tensor& x) const {
  at::Tensor h = at::layer_norm(x.to(at::kFloat), {x.size(-1)}, {}, {}, eps).to(x.scalar_type());
  return h * weight + bias;
}

Linear::Linear(int64_t in, int64_t out, bool allocate) { weight = parameter(*this, "weight", {out, in}, allocate); }

at::Tensor Linear::forward(const at::Tensor& x) const { return project(x, weight); }

Embedding::Embedding(int64_t count, int64_t dim, bool allocate, bool zeros) {
  weight = parameter(*this, "weight", {count, dim}, allocate, zeros ? 0.0 : NAN);
}

Attention::Attention(const BackboneConfig& c, bool allocate)
    : heads(c.heads), kv_heads(c.kv_heads), head_dim(c.hidden_size / c.heads), qk_norm(c.qk_norm) {
  q_proj = register_module("q_proj", std::make_shared<Linear>(c.hidden_size, heads * head_dim, allocate));
  k_proj = register_module("k_proj", std::make_shared<Linear>(c.hidden_size, kv_heads * head_dim, allocate));
  v_proj = register_module("v_proj", std::make_shared<Linear>(c.hidden_size, kv_heads * head_dim, allocate));
  o_proj = register_module("o_proj", std::make_shared<Linear>(heads * head_dim, c.hidden_size, allocate));
  if (qk_norm == "rmsnorm") {
    q_norm = register_module("q_norm", std::make_shared<RmsNorm>(head_dim, c.norm_eps, allocate));
    k_norm = register_module("k_norm", std::make_shared<RmsNorm>(head_dim, c.norm_eps, allocate));
  } else if (qk_norm == "layernorm") {
    q_norm = register_module("q_norm", std::make_shared<HeadLayerNorm>(heads, head_dim, c.norm_eps, allocate));
    k_norm = register_module("k_norm", std::make_shared<HeadLayerNorm>(kv_heads, head_dim, c.norm_eps, allocate));
  }
}

at::Tensor Attention::forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                              CacheSlot* cache) const {
  const int64_t B = x.size(0), T = x.size(1), group = heads / kv_heads;
  at::Tensor q = q_proj->forward(x).view({B, T, heads, head_dim});
  at::Tensor k = k_proj->forward(x).view({B, T, kv_heads, head_dim});
  at::Tensor v = v_proj->forward(x).view({B, T, kv_heads, head_dim});
  if (qk_norm == "rmsnorm") {
    q = static_cast<const RmsNorm&>(*q_norm).forward(q);
    k = static_cast<const RmsNorm&>(*k_norm).forward(k);
  } else if (qk_norm == "layernorm") {
    q = static_cast<const HeadLayerNorm&>(*q_norm).forward(q);
    k = static_cast<const HeadLayerNorm&>(*k_norm).forward(k);
  }
  q = q.transpose(1, 2);  // [B, heads, T, d]
  k = k.transpose(1, 2);
  v = v.transpose(1, 2);
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;

  at::Tensor keys = k, values = v;
  if (cache) {
    if (cache->start >= 0) {
      cache->keys.narrow(2, cache->start, T).copy_(k);
      cache->values.narrow(2, cache->start, T).copy_(v);
    } else {  // one new id per row, each at its own position
      at::Tensor rows = at::arange(B, cache->write_positions.options());
      cache->keys.index_put_({rows, at::indexing::Slice(), cache->write_positions}, k.select(2, 0));
      cache->values.index_put_({rows, at::indexing::Slice(), cache->write_positions}, v.select(2, 0));
    }
    keys = cache->keys.narrow(2, 0, cache->attend_length);
    values = cache->values.narrow(2, 0, cache->attend_length);
  }
  const int64_t L = keys.size(2);
  // Grouped-query attention without repeating the keys: the `group` query heads that share
  // a key head become `group` times as many query rows against it.
  q = q.reshape({B, kv_heads, group * T, head_dim});
  at::Tensor out;
  // An undefined mask means every key is visible (decode with rows of equal length).
  if (small_batch_attention_applies(q, keys, values, T)) {  // decoding on the CPU
    out = small_batch_attention(q, keys, values, mask, T);
  } else {
#if MM_FUSED_ATTENTION
    if (mask.defined()) {
      at::Tensor m = mask.unsqueeze(2).expand({mask.size(0), 1, group, T, L}).reshape({mask.size(0), 1, group * T, L});
      out = at::scaled_dot_product_attention(q, keys, values, m.to(q.scalar_type()));
    } else {
      out = at::scaled_dot_product_attention(q, keys, values);
    }
#else
    auto attend = [&](const at::Tensor& qs, const at::Tensor& ms, int64_t t) {
      at::Tensor scores = at::matmul(qs, keys.transpose(2, 3)).mul_(1.0 / std::sqrt(double(head_dim)));
      if (ms.defined()) scores = scores.view({B, kv_heads, group, t, L}).add_(ms.unsqueeze(2));
      at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type()).view({B, kv_heads, group * t, L});
      return at::matmul(probs, values);
    };
    // Without autograd (a prefill), queries in blocks: the scores of all T against all L,
    // with their float32 softmax, were most of a prefill's memory.
    constexpr int64_t kQueryBlock = 64;
    if (T <= kQueryBlock || at::GradMode::is_enabled()) {
      out = attend(q, mask, T);
    } else {
      out = at::empty_like(q);
      at::Tensor q_rows = q.view({B, kv_heads, group, T, head_dim});
      at::Tensor out_rows = out.view({B, kv_heads, group, T, head_dim});
      for (int64_t t0 = 0; t0 < T; t0 += kQueryBlock) {
        const int64_t n = std::min(kQueryBlock, T - t0);
        at::Tensor block = attend(q_rows.narrow(3, t0, n).reshape({B, kv_heads, group * n, head_dim}),
                                  mask.defined() ? mask.narrow(2, t0, n) : mask, n);
        out_rows.narrow(3, t0, n).copy_(block.view({B, kv_heads, group, n, head_dim}));
      }
    }
#endif
  }
  // [B, kv, group*T, d] -> [B, heads, T, d] -> [B, T, heads*d]
  out = out.view({B, heads, T, head_dim}).transpose(1, 2).reshape({B, T, heads * head_dim});
  return o_proj->forward(out);
}

Mlp::Mlp(const BackboneConfig& c, bool allocate) {
  gate_proj = register_module("gate_proj", std::make_shared<Linear>(c.hidden_size, c.intermediate_size, allocate));
  up_proj = register_module("up_proj", std::make_shared<Linear>(c.hidden_size, c.intermediate_size, allocate));
  down_proj = register_module("down_proj", std::make_shared<Linear>(c.intermediate_size, c.hidden_size, allocate));
}

at::Tensor Mlp::forward(const at::Tensor& x) const {
  return down_proj->forward(at::silu(gate_proj->forward(x)).mul_(up_proj->forward(x)));
}

DecoderLayer::DecoderLayer(const BackboneConfig& c, bool allocate) {
  input_layernorm = register_module("input_layernorm", std::make_shared<RmsNorm>(c.hidden_size, c.norm_eps, allocate));
  self_attn = register_module("self_attn", std::make_shared<Attention>(c, allocate));
  post_attention_layernorm =
      register_module("post_attention_layernorm", std::make_shared<RmsNorm>(c.hidden_size, c.norm_eps, allocate));
  mlp = register_module("mlp", std::make_shared<Mlp>(c, allocate));
}

at::Tensor DecoderLayer::forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                 const at::Tensor& mask, CacheSlot* cache) const {
  at::Tensor h = x + self_attn->forward(input_layernorm->forward(x), cos, sin, mask, cache);
  return h + mlp->forward(post_attention_layernorm->forward(h));
}

LlamaModel::LlamaModel(const BackboneConfig& c, bool allocate) {
  embed_tokens = register_module("embed_tokens", std::make_shared<Embedding>(c.vocab_size, c.hidden_size, allocate));
  auto list = register_module("layers", std::make_shared<torch::nn::Module>());
  for (uint32_t l = 0; l < c.layers; ++l)
    layers.push_back(list->register_module(std::to_string(l), std::make_shared<DecoderLayer>(c, allocate)));
  norm = register_module("norm", std::make_shared<RmsNorm>(c.hidden_size, c.norm_eps, allocate));
  // Last, where Llama::add_grid_places puts them too: the parameters' order is the
  // optimizer state's, so a run that added them resumes from its checkpoint.
  if (c.grid_places > 0) {
    embed_grid_rows = register_module("embed_grid_rows", std::make_shared<Embedding>(c.grid_places, c.hidden_size, allocate, true));
    embed_grid_columns =
        register_module("embed_grid_columns", std::make_shared<Embedding>(c.grid_places, c.hidden_size, allocate, true));
  }
}

Llama::Llama(const BackboneConfig& config, bool allocate) : config_(config) {
  if (config.tracks_places() && !config.visual_markers.known)
    throw Error("grid_place_embeddings, align_visual_positions and grid_rope need the bundle's layout (its image and video "
                "markers)");
  model = register_module("model", std::make_shared<LlamaModel>(config, allocate));
  if (!config.tie_embeddings)
    lm_head = register_module("lm_head", std::make_shared<Linear>(config.hidden_size, config.vocab_size, allocate));
  const int64_t d = head_dim();
  inv_freq_ = 1.0 / at::pow(config.rope_theta, at::arange(0, d, 2, at::kFloat) / double(d));
  std::vector<int64_t> source(size_t(d / 2), 0);  // position, row (pairs 1, 5, ...) or column (3, 7, ...)
  for (size_t j = 0; j < source.size(); ++j) source[j] = j % 4 == 1 ? 1 : j % 4 == 3 ? 2 : 0;
  pair_source_ = at::tensor(source, at::kLong);
}

void Llama::load(const WeightSet& weights, at::ScalarType dtype, const at::Device& device) {
  weights.check(config_);
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    WeightSet::Located l = weights.find(name);
    const TensorEntry& e = *l.entry;
    const uint8_t* bytes = l.file->bytes(e);
    at::ScalarType file_type = e.type == WeightType::F32 ? at::kFloat : e.type == WeightType::F16 ? at::kHalf : at::kBFloat16;
    std::vector<int64_t> shape(e.shape.begin(), e.shape.end());
    at::Tensor t;
    if (reinterpret_cast<uintptr_t>(bytes) % weight_type_size(e.type) == 0) {
      // A view of the mapping; the deleter keeps the mapping alive as long as the tensor.
      auto keep = l.file->mapping();
      t = at::from_blob(const_cast<uint8_t*>(bytes), shape, [keep](void*) mutable { keep.reset(); },
                        at::TensorOptions().dtype(file_type));
    } else {  // misaligned in the file: copy once
      t = at::empty(shape, at::TensorOptions().dtype(file_type));
      std::memcpy(t.data_ptr(), bytes, e.end - e.begin);
    }
    if (file_type != dtype || !device.is_cpu()) t = t.to(device, dtype);
    item.value().set_data(t);
  }
  inv_freq_ = inv_freq_.to(device);
  pair_source_ = pair_source_.to(device);
}

void Llama::add_grid_places(uint32_t size) {
  if (config_.grid_places == size) return;
  if (config_.grid_places > 0)
    throw Error("the model has grid place embeddings of " + std::to_string(config_.grid_places) + ", not " + std::to_string(size));
  if (!config_.visual_markers.known)
    throw Error("grid place embeddings need the bundle's layout (its image and video markers)");
  const at::Tensor& like = model->embed_tokens->weight;
  auto zeros = [&](const char* name) {
    auto e = std::make_shared<Embedding>(int64_t(size), like.size(1), false);
    e->weight.set_data(at::zeros({int64_t(size), like.size(1)}, like.options()));
    return model->register_module(name, e);
  };
  model->embed_grid_rows = zeros("embed_grid_rows");
  model->embed_grid_columns = zeros("embed_grid_columns");
  config_.grid_places = size;
}

void Llama::use_grid_rope(bool on) {
  if (on && !config_.visual_markers.known)
    throw Error("grid rotary positions need the bundle's layout (its image and video markers)");
  config_.grid_rope = on;
}

void Llama::align_visual_positions(uint32_t align) {
  if (align > 0 && !config_.visual_markers.known)
    throw Error("aligned visual positions need the bundle's layout (its image and video markers)");
  config_.align_visual = align;
}

Llama::Places Llama::track_places(std::vector<PlaceTracker>& trackers, const uint32_t* ids, size_t count, bool grid,
                                  const at::Device& device) {
  const int64_t rows = int64_t(trackers.size()), n = int64_t(count);
  at::Tensor positions = at::empty({rows, n}, at::kLong), places = at::empty({rows, n, 2}, at::kLong);
  auto pa = positions.accessor<int64_t, 2>();
  auto ga = places.accessor<int64_t, 3>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) {
      Place place = trackers[size_t(r)].push(ids[r * n + i]);
      pa[r][i] = place.position, ga[r][i][0] = place.row, ga[r][i][1] = place.column;
    }
  Places p;
  p.positions = positions.to(device);
  if (grid) p.grid = places.to(device);
  return p;
}

Llama::Places Llama::places(const at::Tensor& ids) const {
  const int64_t B = ids.size(0), T = ids.size(1);
  if (!config_.tracks_places()) return {at::arange(T, ids.options().dtype(at::kLong)).unsqueeze(0).expand({B, T}), {}};
  at::Tensor cpu = ids.to(at::kCPU, at::kLong).contiguous();
  std::vector<uint32_t> v(cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + cpu.numel());
  std::vector<PlaceTracker> trackers(size_t(B), PlaceTracker(config_.visual_markers, config_.align_visual));
  return track_places(trackers, v.data(), size_t(T), config_.needs_grid(), ids.device());
}

at::Tensor Llama::hidden_states(const at::Tensor& ids, const at::Tensor& positions, const at::Tensor& places,
                                const at::Tensor& mask, std::vector<CacheSlot>* slots) const {
  at::Tensor x = at::embedding(model->embed_tokens->weight, ids);
  if (places.defined() && model->embed_grid_rows) {
    // Places without a vector (none, or beyond the table) index an extra zero row.
    const int64_t n = int64_t(config_.grid_places);
    auto add = [&](const at::Tensor& table, const at::Tensor& index) {
      at::Tensor padded = at::cat({table, at::zeros({1, table.size(1)}, table.options())});
      at::Tensor where = index.masked_fill(index.lt(0).logical_or(index.ge(n)), n);
      x = x + at::embedding(padded, where);
    };
    add(model->embed_grid_rows->weight, places.select(-1, 0));
    add(model->embed_grid_columns->weight, places.select(-1, 1));
  }
  // Rotary tables for just these positions, in float32 as the reference computes them.
  at::Tensor freqs;
  if (config_.grid_rope && places.defined()) {
    // Each pair's position (pair_source_): the id's own, or for a code its row or column.
    at::Tensor own = positions.to(at::kFloat);
    at::Tensor row = places.select(-1, 0), column = places.select(-1, 1);
    at::Tensor by = at::stack(
        {own, at::where(row.ge(0), row.to(at::kFloat), own), at::where(column.ge(0), column.to(at::kFloat), own)}, -1);
    freqs = by.index_select(-1, pair_source_) * inv_freq_;
  } else {
    freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq_;
  }
  at::Tensor emb = at::cat({freqs, freqs}, -1).unsqueeze(1);  // [B, 1, T, d]
  at::Tensor cos = emb.cos().to(x.scalar_type()), sin = emb.sin().to(x.scalar_type());
  at::Tensor m = mask.defined() ? mask.to(x.scalar_type()) : mask;
  for (size_t l = 0; l < model->layers.size(); ++l)
    x = model->layers[l]->forward(x, cos, sin, m, slots ? &(*slots)[l] : nullptr);
  return model->norm->forward(x);
}

at::Tensor Llama::forward(const at::Tensor& ids) const { return logits(hidden(ids)); }

at::Tensor Llama::hidden(const at::Tensor& ids) const {
  const int64_t T = ids.size(1);
  at::Tensor mask = at::full({T, T}, -INFINITY, at::TensorOptions().device(ids.device())).triu_(1).view({1, 1, T, T});
  Places p = places(ids);
  return hidden_states(ids, p.positions, p.grid, mask, nullptr);
}

at::Tensor Llama::forward_cached(const at::Tensor& ids, const at::Tensor& positions, const at::Tensor& places,
                                 const at::Tensor& mask, std::vector<CacheSlot>& slots) const {
  return hidden_states(ids, positions, places, mask, &slots);
}

at::Tensor Llama::logits(const at::Tensor& hidden) const {
  if (!output_head_.defined()) return project(hidden, head_weight());
  at::Tensor some = project(hidden, output_head_);
  std::vector<int64_t> shape = some.sizes().vec();
  shape.back() = int64_t(config_.vocab_size);
  return at::full(shape, -INFINITY, some.options()).index_copy_(-1, output_index_, some);
}

void Llama::restrict_to_output_ids() {
  if (config_.output_ids.empty()) return;
  const at::Tensor& head = head_weight();
  std::vector<int64_t> ids(config_.output_ids.begin(), config_.output_ids.end());
  output_index_ = at::tensor(ids, at::kLong).to(head.device());
  output_head_ = head.index_select(0, output_index_).contiguous();
}

}  // namespace mm::model
