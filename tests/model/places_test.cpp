// Places in the backbone (grid place embeddings, aligned positions, grid rotation): the cache
// path (prefill, step, rows stepped together, copy_row, truncate, save and load of a state)
// reads the same places as the training path's full forward over the whole sequence, so
// their logits agree; and the places matter (zero tables, or positions counted, would give
// other logits).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "model/backbone.h"
#include "model/bundle.h"
#include "model/llama.h"
#include "model/safetensors.h"

using namespace mm::model;
namespace fs = std::filesystem;

namespace {

// Markers 1-6; codes 10 and up.
constexpr uint32_t kBeginImage = 1, kEndImage = 2, kBeginVideo = 3, kEndVideo = 4, kRowBreak = 5, kFrameBreak = 6;

const char* kConfig = R"({"backbone": {"vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 64,
  "tie_word_embeddings": true, "grid_place_embeddings": 3, "align_visual_positions": 16, "grid_rope": true},
 "layout": {"markers": {"<|begin_image|>": 1, "<|end_image|>": 2, "<|begin_video|>": 3, "<|end_video|>": 4,
  "<|row_break|>": 5, "<|frame_break|>": 6}}})";

// A bundle of drawn weights whose grid tables are far from zero, written to a temporary
// directory; `zero_grid`: the same weights with zero tables; `drop`: a key and value taken
// out of the config (an option of the places turned off).
struct TinyBundle {
  fs::path dir;
  explicit TinyBundle(bool zero_grid, const std::string& drop = "") {
    dir = fs::temp_directory_path() / ("mm-test-places-" + std::to_string(::getpid()) + (zero_grid ? "-zero" : "") +
                                       std::to_string(std::hash<std::string>()(drop)));
    fs::create_directories(dir);
    std::string config = kConfig;
    if (!drop.empty()) config.erase(config.find(drop), drop.size());
    std::ofstream(dir / "config.json") << config;
    BundleConfig bundle = BundleConfig::parse(config, dir.string());
    at::manual_seed(5);
    Llama llama(bundle.backbone, true);
    c10::InferenceMode guard;
    for (auto* table : {&llama.model->embed_grid_rows->weight, &llama.model->embed_grid_columns->weight})
      table->copy_(at::randn_like(*table) * (zero_grid ? 0.0 : 1.0));  // the same draws either way
    // Queries and keys large enough that attention is far from uniform, so positions show.
    for (auto& layer : llama.model->layers)
      for (auto* w : {&layer->self_attn->q_proj->weight, &layer->self_attn->k_proj->weight}) w->copy_(at::randn_like(*w) * 0.5);
    std::vector<at::Tensor> keep;
    std::vector<TensorToWrite> tensors;
    auto params = llama.named_parameters();
    for (const auto& e : expected_tensors(bundle.backbone)) {
      keep.push_back(params.find(e.name)->detach().contiguous());
      tensors.push_back({e.name, WeightType::F32, e.shape, keep.back().data_ptr()});
    }
    write_safetensors((dir / "model.safetensors").string(), tensors);
  }
  ~TinyBundle() { fs::remove_all(dir); }
};

// Two images and a video frame pair, text ids between: places repeat at different distances.
const std::vector<uint32_t> kIds = {0,  7,  kBeginImage, 10, 11, 12, kRowBreak, 13, 14, 15, kRowBreak, kEndImage, 8, 9,
                                    kBeginImage, 16, 17, 18, kRowBreak, 19, 20, 21, kRowBreak, kEndImage, 7,
                                    kBeginVideo, 22, 23, kRowBreak, kFrameBreak, 24, 25, kRowBreak, kEndVideo, 8};

// The training path: logits at every position of the whole sequence, [T, vocab].
at::Tensor full_forward(const fs::path& dir) {
  BundleConfig bundle = BundleConfig::load(dir.string());
  Llama llama(bundle.backbone, false);
  WeightSet weights(bundle);
  llama.load(weights, at::kFloat, at::kCPU);
  c10::InferenceMode guard;
  std::vector<int64_t> v(kIds.begin(), kIds.end());
  return llama.forward(at::tensor(v, at::kLong).view({1, -1})).squeeze(0).clone();
}

at::Tensor row_of(const std::vector<float>& logits, size_t vocab, size_t row = 0) {
  return at::tensor(std::vector<float>(logits.begin() + long(row * vocab), logits.begin() + long((row + 1) * vocab)));
}

}  // namespace

TEST_CASE("places: the cache path reads the places the full forward reads") {
  TinyBundle tiny(false);
  const at::Tensor want = full_forward(tiny.dir);
  Backbone backbone(tiny.dir.string(), RunOptions{"cpu", "f32", 1});
  const size_t V = backbone.vocab_size(), T = kIds.size();
  std::vector<float> logits(3 * V);
  auto near = [&](const at::Tensor& got, size_t position) {
    return at::allclose(got, want[int64_t(position)], 1e-4, 1e-4);
  };

  SUBCASE("prefill into the first image, then a step per id") {
    backbone.reset(1, 64);
    backbone.prefill(0, kIds.data(), 5, logits.data());
    CHECK(near(row_of(logits, V), 4));
    for (size_t t = 5; t < T; ++t) {
      backbone.step(&kIds[t], logits.data());
      CHECK_MESSAGE(near(row_of(logits, V), t), "position " << t);
    }
  }
  SUBCASE("prefills that split images, and a truncate back into one") {
    backbone.reset(1, 64);
    backbone.prefill(0, kIds.data(), 17, nullptr);
    backbone.prefill(0, kIds.data() + 17, 10, logits.data());
    CHECK(near(row_of(logits, V), 26));
    backbone.truncate(0, 20);  // inside the second image's second row
    backbone.prefill(0, kIds.data() + 20, T - 20, logits.data());
    CHECK(near(row_of(logits, V), T - 1));
  }
  SUBCASE("rows of different lengths stepped together; copy_row; a state saved and loaded") {
    backbone.reset(3, 64);
    backbone.prefill(0, kIds.data(), 16, nullptr);
    backbone.prefill(1, kIds.data(), 15, nullptr);
    backbone.copy_row(0, 2);
    std::vector<uint32_t> next = {kIds[16], kIds[15], kIds[16]};
    backbone.step(next.data(), logits.data());
    CHECK(near(row_of(logits, V, 0), 16));
    CHECK(near(row_of(logits, V, 1), 15));
    CHECK(near(row_of(logits, V, 2), 16));
    const fs::path state = tiny.dir / "state";
    backbone.save_state(0, std::vector<uint32_t>(kIds.begin(), kIds.begin() + 17), state.string());
    Backbone again(tiny.dir.string(), RunOptions{"cpu", "f32", 1});
    again.reset(1, 64);
    again.load_state(0, state.string());
    for (size_t t = 17; t < T; ++t) again.step(&kIds[t], logits.data());
    CHECK(near(row_of(logits, V), T - 1));
  }
}

TEST_CASE("places: each option changes what the model computes, from the first image on") {
  TinyBundle placed(false), plain(true), counted(false, ", \"align_visual_positions\": 16"),
      unturned(false, ", \"grid_rope\": true");
  const at::Tensor a = full_forward(placed.dir);
  // Up to the first image's first code, zero tables are the same model; up to its begin
  // marker, so are counted positions and a rotation by position alone. After, not.
  const int64_t T = a.size(0);
  for (auto [other, same] : {std::pair{&plain, 3}, std::pair{&counted, 2}, std::pair{&unturned, 3}}) {
    const at::Tensor b = full_forward(other->dir);
    CHECK(at::allclose(a.narrow(0, 0, same), b.narrow(0, 0, same)));
    CHECK((a.narrow(0, same, T - same) - b.narrow(0, same, T - same)).abs().max().item<float>() > 0.01f);
  }
}
