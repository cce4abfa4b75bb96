// The one file of mm-train that includes torch.
#include "trainer.h"

#include <ATen/Parallel.h>
#include <torch/types.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "error.h"
#include "model/bundle.h"
#include "model/llama.h"
#include "model/safetensors.h"
#include "splitmix64.h"

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace mm::train {

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw Error(path.string() + ": write failed");
}

// 0 .. n-1 in the order of `epoch` for `seed`: a pure function of the three, the same on
// every machine, so a checkpoint needs only the step to find its place.
std::vector<size_t> shuffled(size_t n, uint64_t seed, uint64_t epoch) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  uint64_t state = seed * 0x100000001B3ull + epoch + 1;
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[splitmix64(state) % i]);
  return order;
}

// Rows of whole examples, packed greedily in a shuffled order, epoch after epoch. An example
// longer than the context is cut to it (counted: the recipe should leave none).
class RowOrder {
 public:
  RowOrder(const ExampleSet& data, uint32_t context, uint64_t seed) : data_(data), context_(context), seed_(seed) {
    for (const Example& e : data.examples) truncated_ += e.ids.size() > context ? 1 : 0;
    build(0);
  }
  size_t rows_per_epoch() const { return rows_.size(); }
  size_t truncated() const { return truncated_; }
  // The examples of global row `index` (rows of epoch 0, then epoch 1, ...).
  const std::vector<size_t>& row(uint64_t index) {
    uint64_t epoch = index / rows_.size();
    if (epoch != epoch_) build(epoch);
    return rows_[index % rows_.size()];
  }

 private:
  void build(uint64_t epoch) {
    const std::vector<size_t> order = shuffled(data_.examples.size(), seed_, epoch);
    rows_.clear();
    std::vector<size_t> row;
    size_t used = 0;
    for (size_t i : order) {
      size_t n = std::min<size_t>(data_.examples[i].ids.size(), context_);
      if (!row.empty() && used + n > context_) rows_.push_back(std::move(row)), row.clear(), used = 0;
      row.push_back(i);
      used += n;
    }
    if (!row.empty()) rows_.push_back(std::move(row));
    epoch_ = epoch;
  }
  const ExampleSet& data_;
  uint32_t context_;
  uint64_t seed_;
  uint64_t epoch_ = 0;
  size_t truncated_ = 0;
  std::vector<std::vector<size_t>> rows_;
};

// Pairs in a shuffled order of their groups, each group's pairs together, epoch after
// epoch; the seed is not the rows' so that the two orders are unrelated. Steps take the next
// pairs of this order, so a group stays in one step unless it straddles two.
class PairOrder {
 public:
  PairOrder(const PairSet& pairs, uint64_t seed) : pairs_(pairs), seed_(seed ^ 0x9A1B5EEDull) { order(0); }
  size_t pair(uint64_t index) {  // the pair at global position `index`
    const uint64_t epoch = index / pairs_.pairs.size();
    if (epoch != epoch_) order(epoch);
    return order_[index % pairs_.pairs.size()];
  }

 private:
  void order(uint64_t epoch) {
    const auto& starts = pairs_.group_starts;
    order_.clear();
    for (size_t group : shuffled(starts.size(), seed_, epoch)) {
      const size_t end = group + 1 < starts.size() ? starts[group + 1] : pairs_.pairs.size();
      for (size_t p = starts[group]; p < end; ++p) order_.push_back(p);
    }
    epoch_ = epoch;
  }
  const PairSet& pairs_;
  uint64_t seed_, epoch_ = 0;
  std::vector<size_t> order_;
};

// Each view's embedding as mm-encode --embeddings computes it: the final-norm hidden states
// averaged over the view's pooled positions, unit length. [views, hidden]
at::Tensor embed_views(const model::Llama& model, const std::vector<const View*>& views, uint32_t pad,
                       const at::Device& device) {
  size_t longest = 0;
  for (const View* v : views) longest = std::max(longest, v->ids.size());
  const int64_t n = int64_t(views.size()), T = int64_t(longest);
  at::Tensor ids = at::full({n, T}, int64_t(pad), at::kLong);
  at::Tensor weights = at::zeros({n, T}, at::kFloat);
  auto ia = ids.accessor<int64_t, 2>();
  auto wa = weights.accessor<float, 2>();
  for (int64_t r = 0; r < n; ++r) {
    const View& v = *views[size_t(r)];
    for (size_t t = 0; t < v.ids.size(); ++t) ia[r][int64_t(t)] = v.ids[t];
    for (uint32_t t = v.from; t < v.to; ++t) wa[r][t] = 1.0f / float(v.to - v.from);
  }
  at::Tensor hidden = model.hidden(ids.to(device)).to(at::kFloat);                        // [n, T, H]
  at::Tensor pooled = (hidden * weights.to(device).unsqueeze(-1)).sum(1);                 // [n, H]
  return pooled / pooled.norm(2, {-1}, true).clamp_min(1e-12);
}

double learning_rate(const TrainOptions& o, uint64_t step) {  // step: 0-based
  if (o.warmup > 0 && step < o.warmup) return o.lr * double(step + 1) / double(o.warmup);
  uint64_t decay = o.steps > o.warmup ? o.steps - o.warmup : 1;
  double progress = std::min(1.0, double(step - std::min(step, o.warmup)) / double(decay));
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * progress));
}

// The bundle `dir` as the run has it now: the starting bundle's config (weights in one
// file; the ids the loss's softmax ran over as the backbone's output_ids, none when it ran
// over all), its tokenizer files, and the weights (with `zero_unseen`, the embedding and
// head rows of ids outside output_ids as zeros).
void write_bundle(const model::Llama& model, const std::string& source_dir, const fs::path& dir,
                  const std::string& dtype, const std::vector<int64_t>& output_ids, bool zero_unseen = false) {
  fs::create_directories(dir);
  ojson config = ojson::parse(slurp(fs::path(source_dir) / "config.json"));
  config["weights"] = "model.safetensors";
  if (config.contains("backbone") && config["backbone"].is_object()) {
    if (model.config().grid_places > 0) config["backbone"]["grid_place_embeddings"] = model.config().grid_places;
    if (model.config().align_visual > 0) config["backbone"]["align_visual_positions"] = model.config().align_visual;
    if (model.config().grid_rope) config["backbone"]["grid_rope"] = true;
    if (output_ids.empty())
      config["backbone"].erase("output_ids");
    else
      config["backbone"]["output_ids"] = output_ids;
  }
  if (config.contains("tokenizers"))
    for (auto& [modality, entry] : config["tokenizers"].items()) {
      if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string()) continue;
      fs::path from = fs::path(source_dir) / entry["file"].get<std::string>(), to = dir / entry["file"].get<std::string>();
      std::error_code ec;
      if (!fs::exists(from, ec)) throw Error(from.string() + ": the bundle's " + modality + " tokenizer is missing");
      if (fs::exists(to, ec) && fs::equivalent(from, to, ec)) continue;
      fs::create_directories(to.parent_path());
      fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    }
  model::WeightType type = model::weight_type_from_name(dtype);
  auto expected = model::expected_tensors(model.config());
  auto params = model.named_parameters();
  std::vector<std::vector<uint8_t>> bytes(expected.size());
  std::vector<model::TensorToWrite> tensors;
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (size_t i = 0; i < expected.size(); ++i) {
    const at::Tensor* p = params.find(expected[i].name);
    if (!p) throw Error("internal: the model has no parameter " + expected[i].name);
    at::Tensor t = p->detach().to(at::kCPU, at::kFloat).contiguous();
    if (zero_unseen && !output_ids.empty() &&
        (expected[i].name == "model.embed_tokens.weight" || expected[i].name == "lm_head.weight")) {
      at::Tensor keep = at::zeros({t.size(0), 1}, at::kFloat);
      keep.index_fill_(0, at::tensor(output_ids, at::kLong), 1.0f);
      t = (t * keep).contiguous();  // a new tensor: the model's own rows stay as they are
    }
    const float* f = t.data_ptr<float>();
    const size_t n = size_t(t.numel());
    if (type == model::WeightType::F32) {
      bytes[i].resize(n * 4);
      std::memcpy(bytes[i].data(), f, n * 4);
    } else {
      bytes[i].resize(n * 2);
      for (size_t k = 0; k < n; ++k) {
        uint16_t h = type == model::WeightType::F16 ? model::float_to_half(f[k]) : model::float_to_bfloat16(f[k]);
        bytes[i][2 * k] = uint8_t(h), bytes[i][2 * k + 1] = uint8_t(h >> 8);
      }
    }
    XXH3_64bits_update(state, bytes[i].data(), bytes[i].size());
    tensors.push_back({expected[i].name, type, expected[i].shape, bytes[i].data()});
  }
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(state)));
  XXH3_freeState(state);
  model::write_safetensors((dir / "model.safetensors").string(), tensors, {{"format", "pt"}, {"mm.xxh3", sum}});
  write_text(dir / "config.json", config.dump(2) + "\n");
}

const char* softmax_name(const TrainOptions& o) { return TrainOptions::kSoftmaxNames[int(o.softmax)]; }

ojson run_settings(const TrainOptions& o, const ExampleSet& data, const PairSet* pairs) {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(data.hash));
  ojson settings = ojson{{"seed", o.seed}, {"softmax", softmax_name(o)},       {"batch", o.batch},   {"context", o.context},
               {"steps", o.steps},     {"lr", o.lr},         {"min_lr", o.min_lr},
               {"warmup", o.warmup},   {"weight_decay", o.weight_decay},
               {"betas", {o.beta1, o.beta2}}, {"epsilon", o.epsilon}, {"clip", o.clip},
               {"examples", data.examples.size()}, {"data", hash}};
  if (pairs) {
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(pairs->hash));
    settings["pairs"] = hash;
    settings["pair_count"] = pairs->pairs.size();
    settings["pair_batch"] = o.pair_batch;
    settings["pair_weight"] = o.pair_weight;
    settings["pair_temperature"] = o.pair_temperature;
  }
  return settings;
}

}  // namespace

TrainResult train(const ExampleSet& data, const PairSet* pairs, const TrainOptions& options, const StepCallback& on_step) {
  if (options.batch == 0 || options.context < 2 || options.steps == 0) throw UsageError("batch, context and steps must be positive");
  if (pairs && (options.pair_batch < 2 || !(options.pair_temperature > 0) || !(options.pair_weight >= 0)))
    throw UsageError("--pair-batch must be 2 or more, --pair-temperature positive and --pair-weight not negative");
  if (pairs && options.pair_batch > pairs->pairs.size())
    throw UsageError("--pair-batch " + std::to_string(options.pair_batch) + " is more than the " +
                     std::to_string(pairs->pairs.size()) + " pairs there are");
  if (options.threads > 0) at::set_num_threads(options.threads);
  at::Device device(at::kCPU);
  if (options.device == "cuda") {
    if (!torch::cuda::is_available()) throw Error("--device cuda: this libtorch has no CUDA device");
    device = at::Device(at::kCUDA);
  } else if (options.device != "cpu") {
    throw UsageError("--device must be cpu or cuda");
  }
  const ojson settings = run_settings(options, data, pairs);

  // Weights: the checkpoint's when resuming, else the starting bundle's; owned copies,
  // never views of the mapped file, since the optimizer writes them in place.
  const std::string weights_dir = options.resume.empty() ? options.bundle : options.resume;
  model::BundleConfig bundle = model::BundleConfig::load(weights_dir);
  if (options.context > bundle.backbone.max_positions)
    throw UsageError("--context " + std::to_string(options.context) + " is beyond the model's " +
                     std::to_string(bundle.backbone.max_positions) + " positions (max_position_embeddings)");
  // The markers the place options read; main() has refused a bundle without a layout.
  if (!bundle.backbone.visual_markers.known)
    bundle.backbone.visual_markers = model::VisualMarkers::from_layout_json(bundle.layout_json);
  model::Llama model(bundle.backbone, false);
  {
    model::WeightSet weights(bundle);
    model.load(weights, at::kFloat, device);
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters()) p.set_data(p.detach().clone());
  }
  try {
    if (options.grid_places > 0) model.add_grid_places(options.grid_places);
  } catch (const Error& e) {
    throw UsageError(std::string("--grid-places: ") + e.what());
  }
  if (options.align_visual > 0) model.align_visual_positions(options.align_visual);
  if (options.grid_rope) model.use_grid_rope(true);
  TrainResult result;
  for (const auto& p : model.parameters()) result.parameters += uint64_t(p.numel());

  // AdamW; weight decay on matrices (embeddings included), never on norms.
  std::vector<at::Tensor> decayed, plain;
  for (auto& item : model.named_parameters()) (item.value().dim() >= 2 ? decayed : plain).push_back(item.value());
  torch::optim::AdamWOptions defaults(options.lr);
  defaults.betas({options.beta1, options.beta2}).eps(options.epsilon).weight_decay(options.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, std::make_unique<torch::optim::AdamWOptions>(defaults));
  auto undecayed = defaults;
  undecayed.weight_decay(0.0);
  groups.emplace_back(plain, std::make_unique<torch::optim::AdamWOptions>(undecayed));
  torch::optim::AdamW optimizer(groups, defaults);

  uint64_t start = 0;
  if (!options.resume.empty()) {
    const fs::path dir(options.resume);
    ojson state = ojson::parse(slurp(dir / "train-state.json"));
    ojson saved = state["settings"];
    for (const char* key : {"seed", "softmax", "batch", "context", "data", "steps", "lr", "min_lr", "warmup", "weight_decay",
                            "clip", "pairs", "pair_batch", "pair_weight", "pair_temperature"}) {
      const ojson was = saved.value(key, ojson()), is = settings.value(key, ojson());
      if (was != is)
        throw Error(options.resume + ": the checkpoint was made with " + key + " " + was.dump() + ", this run has " +
                    is.dump() + " (resuming exactly needs the same data and settings)");
    }
    start = state["step"].get<uint64_t>();
    torch::load(optimizer, (dir / "optimizer.pt").string());
    result.curve = read_loss_csv((dir / "loss.csv").string());
    if (result.curve.size() > start) result.curve.resize(start);
  }
  // A finished run's checkpoint resumes to no steps at all: the bundle is written again (with
  // this run's --dtype, and the output_ids of this mm-train).
  if (start > options.steps) throw Error("the checkpoint is at step " + std::to_string(start) + ", --steps is " + std::to_string(options.steps));

  const fs::path out(options.output);
  std::vector<int64_t> output_ids;  // the ids the loss's softmax runs over; empty: every id
  auto checkpoint = [&](uint64_t step) {
    fs::path fresh = out / "checkpoint.new", old = out / "checkpoint.old", dir = out / "checkpoint";
    fs::remove_all(fresh);
    write_bundle(model, options.bundle, fresh, "f32", output_ids);
    torch::save(optimizer, (fresh / "optimizer.pt").string());
    write_loss_csv((fresh / "loss.csv").string(), result.curve);
    write_text(fresh / "train-state.json", ojson{{"step", step}, {"settings", settings}}.dump(2) + "\n");
    fs::remove_all(old);
    if (fs::exists(dir)) fs::rename(dir, old);
    fs::rename(fresh, dir);
    fs::remove_all(old);
  };

  // The ids the softmax runs over, and each vocabulary id's place among them.
  const int64_t vocab = int64_t(bundle.backbone.vocab_size);
  at::Tensor softmax_ids, place;
  const bool restricted = options.softmax != TrainOptions::Softmax::Full;
  if (restricted) {
    // The starting bundle's output_ids stay among them: a later phase on other data must
    // not take away what earlier phases taught the model to produce. With a Data softmax
    // they are output ids still, but not in the softmax.
    std::vector<uint8_t> in_data(size_t(vocab), 0), kept(size_t(vocab), 0);
    for (const Example& e : data.examples)
      for (uint32_t id : e.ids) in_data[id] = 1;
    for (uint32_t id : bundle.backbone.output_ids) kept[id] = 1;
    std::vector<int64_t> where(size_t(vocab), -100), in_softmax;
    for (int64_t id = 0; id < vocab; ++id) {
      const bool held = in_data[size_t(id)], listed = held || kept[size_t(id)];
      if (listed) output_ids.push_back(id);
      if (held || (listed && options.softmax == TrainOptions::Softmax::Seen))
        where[size_t(id)] = int64_t(in_softmax.size()), in_softmax.push_back(id);
    }
    softmax_ids = at::tensor(in_softmax, at::kLong).to(device);
    place = at::tensor(where, at::kLong);
    result.softmax_ids = in_softmax.size();
  } else {
    result.softmax_ids = size_t(vocab);
  }
  const at::Tensor& head = model.head_weight();

  RowOrder order(data, options.context, options.seed);
  std::unique_ptr<PairOrder> pair_order;
  if (pairs) pair_order = std::make_unique<PairOrder>(*pairs, options.seed);
  result.rows_per_epoch = order.rows_per_epoch();
  result.truncated = order.truncated();
  result.first_step = start + 1;
  const uint32_t pad = data.examples[0].ids[0];  // <|bos|>; never scored
  auto run_start = std::chrono::steady_clock::now();
  uint64_t step = start;
  // --stop-after N stops as if interrupted after step N; a run resumed at N runs no steps.
  for (; step < options.steps && !(options.stop_after > 0 && step >= options.stop_after); ++step) {
    auto step_start = std::chrono::steady_clock::now();
    // The batch: rows of whole examples, padded to the longest row.
    std::vector<std::vector<uint32_t>> rows(options.batch);
    std::vector<std::vector<uint8_t>> flags(options.batch);
    size_t longest = 0;
    LossPoint point;
    point.step = step + 1;
    for (uint32_t r = 0; r < options.batch; ++r) {
      for (size_t e : order.row(step * options.batch + r)) {
        const Example& ex = data.examples[e];
        size_t n = std::min<size_t>(ex.ids.size(), options.context);
        rows[r].insert(rows[r].end(), ex.ids.begin(), ex.ids.begin() + long(n));
        flags[r].insert(flags[r].end(), ex.scored.begin(), ex.scored.begin() + long(n));
      }
      longest = std::max(longest, rows[r].size());
      point.ids += rows[r].size();
    }
    at::Tensor ids = at::full({long(options.batch), long(longest)}, long(pad), at::kLong);
    at::Tensor targets = at::full({long(options.batch), long(longest)}, -100L, at::kLong);
    auto ia = ids.accessor<int64_t, 2>();
    auto ta = targets.accessor<int64_t, 2>();
    for (uint32_t r = 0; r < options.batch; ++r)
      for (size_t t = 0; t < rows[r].size(); ++t) {
        ia[r][long(t)] = rows[r][t];
        if (t + 1 < rows[r].size() && flags[r][t + 1]) ta[r][long(t)] = rows[r][t + 1], ++point.scored;
      }
    const double lr = learning_rate(options, step);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    // The head only where the loss looks: most positions are prompts.
    at::Tensor flat_targets = targets.view({-1});
    at::Tensor where = flat_targets.ne(-100).nonzero().view({-1});
    at::Tensor hidden = model.hidden(ids.to(device));
    at::Tensor selected = hidden.reshape({-1, hidden.size(-1)}).index_select(0, where.to(device));
    at::Tensor wanted = flat_targets.index_select(0, where);
    at::Tensor logits;
    if (restricted) {
      logits = at::linear(selected, head.index_select(0, softmax_ids)).to(at::kFloat);
      wanted = place.index_select(0, wanted);
    } else {
      logits = model.logits(selected).to(at::kFloat);
    }
    at::Tensor loss = at::cross_entropy_loss(logits, wanted.to(device));
    at::Tensor total = loss;
    if (pairs) {
      std::vector<const View*> first, second;
      for (uint32_t i = 0; i < options.pair_batch; ++i) {
        const auto& [a, b] = pairs->pairs[pair_order->pair(step * options.pair_batch + i)];
        first.push_back(&a), second.push_back(&b);
      }
      at::Tensor similarity = at::matmul(embed_views(model, first, pad, device), embed_views(model, second, pad, device).t()) /
                              options.pair_temperature;
      at::Tensor same = at::arange(int64_t(options.pair_batch), at::TensorOptions().dtype(at::kLong).device(device));
      at::Tensor pair_loss = (at::cross_entropy_loss(similarity, same) + at::cross_entropy_loss(similarity.t(), same)) / 2;
      total = loss + options.pair_weight * pair_loss;
      point.pair_loss = pair_loss.item<double>();
    }
    optimizer.zero_grad();
    total.backward();
    point.grad_norm = options.clip > 0 ? torch::nn::utils::clip_grad_norm_(model.parameters(), options.clip)
                                       : torch::nn::utils::clip_grad_norm_(model.parameters(), INFINITY);
    optimizer.step();
    point.loss = loss.item<double>();
    point.lr = lr;
    point.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
    if (!std::isfinite(point.loss)) throw Error("step " + std::to_string(step + 1) + ": the loss is not finite (lower --lr?)");
    result.curve.push_back(point);
    result.ids += point.ids;
    result.scored += point.scored;
    if (on_step) on_step(point, options.steps);
    const uint64_t done = step + 1;
    if (options.checkpoint_every > 0 && done % options.checkpoint_every == 0 && done < options.steps) {
      checkpoint(done);
      write_loss_csv((out / "loss.csv").string(), result.curve);
      write_loss_png((out / "loss.png").string(), result.curve);
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  result.last_step = step;
  checkpoint(step);
  write_bundle(model, options.bundle, out, options.dtype, output_ids, options.zero_unseen);
  write_loss_csv((out / "loss.csv").string(), result.curve);
  write_loss_png((out / "loss.png").string(), result.curve);
  ojson summary = settings;
  summary["parameters"] = result.parameters;
  summary["trained_steps"] = step;
  summary["rows_per_epoch"] = result.rows_per_epoch;
  summary["truncated_examples"] = result.truncated;
  summary["device"] = options.device;
  summary["softmax"] = softmax_name(options);
  summary["softmax_ids"] = result.softmax_ids;
  write_text(out / "training.json", summary.dump(2) + "\n");
  return result;
}

}  // namespace mm::train
