// Backbone: the torch-free API of backbone.h over the Llama module, a preallocated KV
// cache per row, and state files.
#include "model/backbone.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "error.h"
#include "model/bundle.h"
#include "model/llama.h"

namespace mm::model {

namespace {

constexpr char kStateMagic[8] = {'M', 'M', 'K', 'V', 'S', 'T', '0', '1'};

at::Device device_from_name(const std::string& name) {
  if (name == "cpu") return at::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("--device " + name + ": no CUDA device (this libtorch was built without CUDA, or sees no GPU)");
    return at::Device(name);
  }
  throw UsageError("unknown device '" + name + "' (cpu or cuda)");
}

std::string hex(uint64_t v) {
  char s[17];
  std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
  return s;
}

}  // namespace

struct Backbone::Impl {
  BundleConfig bundle;
  std::unique_ptr<WeightSet> weights;
  std::shared_ptr<Llama> llama;
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
  std::vector<at::Tensor> keys, values;  // per layer: [rows, kv_heads, capacity, head_dim]
  std::vector<int64_t> lengths;
  int64_t capacity = 0;
  // When places depend on images (places.h): each row's ids so far and where its tracker
  // stands after them, so that truncate() and load_state() can replay them.
  std::vector<std::vector<uint32_t>> history;
  std::vector<PlaceTracker> trackers;

  bool tracked() const { return bundle.backbone.tracks_places(); }
  // The places of `count` new ids for each of rows `row` .. `row + rows - 1` (ids row after
  // row): rotary positions [rows, count] and grid places [rows, count, 2], from copies of
  // the rows' trackers; commit_places() keeps those once the forward pass has succeeded.
  // Both undefined when places are plain counting.
  Llama::Places places(size_t row, size_t rows, const uint32_t* ids, size_t count, std::vector<PlaceTracker>& after) const {
    if (!tracked()) return {};
    after.assign(trackers.begin() + long(row), trackers.begin() + long(row + rows));
    return Llama::track_places(after, ids, count, bundle.backbone.needs_grid(), device);
  }
  void commit_places(size_t row, const std::vector<PlaceTracker>& after, const uint32_t* ids, size_t count) {
    if (!tracked()) return;
    for (size_t r = 0; r < after.size(); ++r) {
      trackers[row + r] = after[r];
      history[row + r].insert(history[row + r].end(), ids + r * count, ids + (r + 1) * count);
    }
  }
  void replay(size_t row) {
    if (!tracked()) return;
    trackers[row] = PlaceTracker(bundle.backbone.visual_markers, bundle.backbone.align_visual);
    for (uint32_t id : history[row]) trackers[row].push(id);
  }

  at::Tensor ids_tensor(const uint32_t* ids, int64_t rows, int64_t count) const {
    std::vector<int64_t> v(ids, ids + rows * count);
    for (int64_t id : v)
      if (id >= int64_t(bundle.backbone.vocab_size))
        throw Error("token id " + std::to_string(id) + " is beyond the vocabulary (" +
                    std::to_string(bundle.backbone.vocab_size) + ")");
    return at::tensor(v, at::kLong).view({rows, count}).to(device);
  }
  void check_row(size_t row) const {
    if (row >= lengths.size())
      throw Error("row " + std::to_string(row) + " does not exist (" + std::to_string(lengths.size()) + " rows)");
  }
};

Backbone::Backbone(const std::string& bundle_dir, const RunOptions& options) : impl_(std::make_unique<Impl>()) {
  if (options.threads > 0) at::set_num_threads(options.threads);
  impl_->device = device_from_name(options.device);
  impl_->dtype = scalar_type_from_name(options.dtype);
  impl_->bundle = BundleConfig::load(bundle_dir);
  impl_->weights = std::make_unique<WeightSet>(impl_->bundle);
  c10::InferenceMode guard;
  if (impl_->device.is_cpu() && impl_->dtype == at::kHalf) {
    try {  // libtorch 1.13 has no f16 matrix product on the CPU
      at::Tensor a = at::ones({2, 2}, at::kHalf);
      (void)at::matmul(a, a);
    } catch (const c10::Error&) {
      throw UsageError("--dtype f16 is not supported on the CPU by this libtorch; use bf16 or f32");
    }
  }
  impl_->llama = std::make_shared<Llama>(impl_->bundle.backbone, false);
  try {
    impl_->llama->load(*impl_->weights, impl_->dtype, impl_->device);
    impl_->llama->restrict_to_output_ids();
  } catch (const c10::Error& e) {
    throw Error(bundle_dir + ": loading the weights failed: " + e.what_without_backtrace());
  }
  // No rows yet: the caller's reset() sizes the cache, so nothing is allocated twice.
}

Backbone::~Backbone() = default;

const BackboneConfig& Backbone::config() const { return impl_->bundle.backbone; }

void Backbone::reset(size_t rows, size_t capacity) {
  const auto& c = config();
  if (rows == 0) throw Error("a batch needs at least one row");
  if (capacity > c.max_positions)
    throw Error("capacity " + std::to_string(capacity) + " is beyond the model's " + std::to_string(c.max_positions) +
                " positions");
  impl_->keys.clear();  // free the old cache before allocating the new one
  impl_->values.clear();
  impl_->lengths.assign(rows, 0);
  impl_->capacity = int64_t(capacity);
  impl_->history.assign(impl_->tracked() ? rows : 0, {});
  impl_->trackers.assign(impl_->tracked() ? rows : 0, PlaceTracker(c.visual_markers, c.align_visual));
  auto options = at::TensorOptions().dtype(impl_->dtype).device(impl_->device);
  const int64_t d = c.hidden_size / c.heads;
  for (uint32_t l = 0; l < c.layers; ++l) {
    impl_->keys.push_back(at::zeros({int64_t(rows), int64_t(c.kv_heads), int64_t(capacity), d}, options));
    impl_->values.push_back(at::zeros({int64_t(rows), int64_t(c.kv_heads), int64_t(capacity), d}, options));
  }
}

size_t Backbone::rows() const { return impl_->lengths.size(); }

size_t Backbone::length(size_t row) const {
  impl_->check_row(row);
  return size_t(impl_->lengths[row]);
}

void Backbone::prefill(size_t row, const uint32_t* ids, size_t count, float* logits, std::vector<float>* hidden) {
  impl_->check_row(row);
  if (hidden) hidden->clear();
  if (count == 0) return;
  Impl& m = *impl_;
  if (m.lengths[row] + int64_t(count) > m.capacity)
    throw Error("row " + std::to_string(row) + " would hold " + std::to_string(m.lengths[row] + int64_t(count)) +
                " ids, beyond its capacity of " + std::to_string(m.capacity));
  // In chunks, so that the attention scores of a long prompt stay bounded (chunk x length).
  constexpr size_t kChunk = 512;
  for (size_t done = 0; done < count; done += kChunk) {
    const size_t n = std::min(kChunk, count - done);
    prefill_chunk(row, ids + done, n, done + n == count ? logits : nullptr, hidden);
  }
}

void Backbone::prefill_chunk(size_t row, const uint32_t* ids, size_t count, float* logits, std::vector<float>* hidden) {
  Impl& m = *impl_;
  const int64_t start = m.lengths[row], T = int64_t(count);
  c10::InferenceMode guard;
  try {
    at::Tensor input = m.ids_tensor(ids, 1, T);
    at::Tensor positions = at::arange(start, start + T, at::TensorOptions().dtype(at::kLong).device(m.device)).view({1, T});
    // Query i (position start+i) sees keys 0 .. start+i.
    at::Tensor q = at::arange(start, start + T, at::TensorOptions().device(m.device)).view({T, 1});
    at::Tensor k = at::arange(start + T, at::TensorOptions().device(m.device)).view({1, start + T});
    at::Tensor mask = at::zeros({T, start + T}, at::TensorOptions().device(m.device))
                          .masked_fill_(k > q, -INFINITY)
                          .view({1, 1, T, start + T});
    std::vector<CacheSlot> slots(m.keys.size());
    for (size_t l = 0; l < slots.size(); ++l) {
      slots[l].keys = m.keys[l].narrow(0, int64_t(row), 1);
      slots[l].values = m.values[l].narrow(0, int64_t(row), 1);
      slots[l].start = start;
      slots[l].attend_length = start + T;
    }
    std::vector<PlaceTracker> after;
    Llama::Places places = m.places(row, 1, ids, count, after);
    at::Tensor h = m.llama->forward_cached(input, places.positions.defined() ? places.positions : positions, places.grid,
                                           mask, slots);
    m.lengths[row] += T;
    m.commit_places(row, after, ids, count);
    if (logits) {
      at::Tensor out = m.llama->logits(h.select(1, T - 1)).to(at::kCPU, at::kFloat).contiguous();
      std::memcpy(logits, out.data_ptr<float>(), sizeof(float) * size_t(out.numel()));
    }
    if (hidden) {
      at::Tensor out = h.squeeze(0).to(at::kCPU, at::kFloat).contiguous();
      hidden->insert(hidden->end(), out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
    }
  } catch (const c10::Error& e) {
    throw Error(std::string("backbone: ") + e.what_without_backtrace());
  }
}

void Backbone::step(const uint32_t* ids, float* logits) {
  Impl& m = *impl_;
  const int64_t B = int64_t(m.lengths.size());
  for (int64_t b = 0; b < B; ++b)
    if (m.lengths[b] >= m.capacity)
      throw Error("row " + std::to_string(b) + " is full (capacity " + std::to_string(m.capacity) + ")");
  c10::InferenceMode guard;
  try {
    at::Tensor input = m.ids_tensor(ids, B, 1);
    at::Tensor where = at::tensor(m.lengths, at::kLong).to(m.device);  // each row's new position
    const int64_t L = *std::max_element(m.lengths.begin(), m.lengths.end()) + 1;
    // Rows of equal length (one prompt, n samples) see every key and write one slice; else
    // row b sees its own keys 0 .. lengths[b], a shorter row's stale tail hidden.
    const bool equal = std::all_of(m.lengths.begin(), m.lengths.end(), [&](int64_t n) { return n == m.lengths[0]; });
    at::Tensor mask;
    if (!equal) {
      at::Tensor k = at::arange(L, at::TensorOptions().dtype(at::kLong).device(m.device)).view({1, L});
      mask = at::zeros({B, L}, at::TensorOptions().device(m.device))
                 .masked_fill_(k > where.view({B, 1}), -INFINITY)
                 .view({B, 1, 1, L});
    }
    std::vector<CacheSlot> slots(m.keys.size());
    for (size_t l = 0; l < slots.size(); ++l) {
      slots[l].keys = m.keys[l];
      slots[l].values = m.values[l];
      if (equal)
        slots[l].start = m.lengths[0];
      else
        slots[l].write_positions = where;
      slots[l].attend_length = L;
    }
    std::vector<PlaceTracker> after;
    Llama::Places places = m.places(0, size_t(B), ids, 1, after);
    at::Tensor h = m.llama->forward_cached(input, places.positions.defined() ? places.positions : where.view({B, 1}),
                                           places.grid, mask, slots);
    for (auto& len : m.lengths) ++len;
    m.commit_places(0, after, ids, 1);
    at::Tensor out = m.llama->logits(h.select(1, 0)).to(at::kCPU, at::kFloat).contiguous();
    std::memcpy(logits, out.data_ptr<float>(), sizeof(float) * size_t(out.numel()));
  } catch (const c10::Error& e) {
    throw Error(std::string("backbone: ") + e.what_without_backtrace());
  }
}

void Backbone::copy_row(size_t from, size_t to) {
  impl_->check_row(from);
  impl_->check_row(to);
  if (from == to) return;
  c10::InferenceMode guard;
  const int64_t n = impl_->lengths[from];
  for (size_t l = 0; l < impl_->keys.size(); ++l) {
    impl_->keys[l][int64_t(to)].narrow(1, 0, n).copy_(impl_->keys[l][int64_t(from)].narrow(1, 0, n));
    impl_->values[l][int64_t(to)].narrow(1, 0, n).copy_(impl_->values[l][int64_t(from)].narrow(1, 0, n));
  }
  impl_->lengths[to] = n;
  if (impl_->tracked()) {
    impl_->history[to] = impl_->history[from];
    impl_->trackers[to] = impl_->trackers[from];
  }
}

void Backbone::truncate(size_t row, size_t length) {
  impl_->check_row(row);
  if (int64_t(length) > impl_->lengths[row])
    throw Error("truncate: row " + std::to_string(row) + " holds " + std::to_string(impl_->lengths[row]) +
                " ids, not " + std::to_string(length));
  impl_->lengths[row] = int64_t(length);
  if (impl_->tracked()) {
    impl_->history[row].resize(length);
    impl_->replay(row);
  }
}

// A state file: 8 magic bytes, a u32 length and a JSON header (bundle identity, shape,
// dtype, lengths), the ids (u32 LE), then per layer the row's keys and values
// [kv_heads, length, head_dim] in the dtype the header names.
void Backbone::save_state(size_t row, const std::vector<uint32_t>& ids, const std::string& path) const {
  impl_->check_row(row);
  const Impl& m = *impl_;
  const int64_t n = m.lengths[row];
  if (int64_t(ids.size()) != n)
    throw Error("save_state: " + std::to_string(ids.size()) + " ids given for a row that consumed " + std::to_string(n));
  const auto& c = config();
  nlohmann::json header = {{"bundle", hex(m.weights->identity())},
                           {"layers", c.layers},
                           {"kv_heads", c.kv_heads},
                           {"head_dim", c.hidden_size / c.heads},
                           {"dtype", m.dtype == at::kFloat ? "f32" : m.dtype == at::kBFloat16 ? "bf16" : "f16"},
                           {"length", n}};
  std::string text = header.dump();
  std::string temp = path + ".tmp";
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path + ": cannot create");
  out.write(kStateMagic, 8);
  uint32_t len = uint32_t(text.size());
  uint8_t le[4] = {uint8_t(len), uint8_t(len >> 8), uint8_t(len >> 16), uint8_t(len >> 24)};
  out.write(reinterpret_cast<const char*>(le), 4);
  out.write(text.data(), std::streamsize(text.size()));
  for (uint32_t id : ids) {
    uint8_t b[4] = {uint8_t(id), uint8_t(id >> 8), uint8_t(id >> 16), uint8_t(id >> 24)};
    out.write(reinterpret_cast<const char*>(b), 4);
  }
  c10::InferenceMode guard;
  for (size_t l = 0; l < m.keys.size(); ++l)
    for (const at::Tensor* cache : {&m.keys[l], &m.values[l]}) {
      at::Tensor t = (*cache)[int64_t(row)].narrow(1, 0, n).to(at::kCPU).contiguous();
      out.write(static_cast<const char*>(t.data_ptr()), std::streamsize(t.nbytes()));
    }
  out.close();
  if (!out) {
    std::remove(temp.c_str());
    throw Error(path + ": write failed");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) throw Error(path + ": cannot rename " + temp);
}

std::vector<uint32_t> Backbone::load_state(size_t row, const std::string& path) {
  impl_->check_row(row);
  Impl& m = *impl_;
  const auto& c = config();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  char magic[8];
  uint8_t le[4];
  if (!in.read(magic, 8) || std::memcmp(magic, kStateMagic, 8) != 0) throw Error(path + ": not an mm state file");
  if (!in.read(reinterpret_cast<char*>(le), 4)) throw Error(path + ": cut short");
  uint32_t len = uint32_t(le[0]) | uint32_t(le[1]) << 8 | uint32_t(le[2]) << 16 | uint32_t(le[3]) << 24;
  if (len > (1u << 20)) throw Error(path + ": state header claims " + std::to_string(len) + " bytes");
  std::string text(len, '\0');
  if (!in.read(text.data(), len)) throw Error(path + ": cut short");
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(text);
    if (h.at("bundle").get<std::string>() != hex(m.weights->identity()))
      throw Error(path + ": the state comes from another bundle (" + h.at("bundle").get<std::string>() + ", this is " +
                  hex(m.weights->identity()) + ")");
    if (h.at("layers").get<uint32_t>() != c.layers || h.at("kv_heads").get<uint32_t>() != c.kv_heads ||
        h.at("head_dim").get<uint32_t>() != c.hidden_size / c.heads)
      throw Error(path + ": the state's shape does not match the bundle");
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": bad state header: " + e.what());
  }
  const int64_t n = h.at("length").get<int64_t>();
  if (n < 0 || n > m.capacity)
    throw Error(path + ": the state holds " + std::to_string(n) + " ids, beyond the capacity of " + std::to_string(m.capacity));
  at::ScalarType type = scalar_type_from_name(h.at("dtype").get<std::string>());
  std::vector<uint32_t> ids(static_cast<size_t>(n));
  for (auto& id : ids) {
    if (!in.read(reinterpret_cast<char*>(le), 4)) throw Error(path + ": cut short");
    id = uint32_t(le[0]) | uint32_t(le[1]) << 8 | uint32_t(le[2]) << 16 | uint32_t(le[3]) << 24;
  }
  c10::InferenceMode guard;
  const int64_t d = c.hidden_size / c.heads;
  for (size_t l = 0; l < m.keys.size(); ++l)
    for (at::Tensor* cache : {&m.keys[l], &m.values[l]}) {
      at::Tensor t = at::empty({int64_t(c.kv_heads), n, d}, type);
      if (!in.read(static_cast<char*>(t.data_ptr()), std::streamsize(t.nbytes()))) throw Error(path + ": cut short");
      (*cache)[int64_t(row)].narrow(1, 0, n).copy_(t);
    }
  if (in.peek() != std::char_traits<char>::eof()) throw Error(path + ": trailing bytes after the state");
  m.lengths[row] = n;
  if (m.tracked()) {
    m.history[row] = ids;
    m.replay(row);
  }
  return ids;
}

}  // namespace mm::model
