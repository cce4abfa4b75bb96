// mm-model-probe: runs a bundle's backbone every way the library offers and writes the
// logits as raw float32 files, for tests/model/reference.py to compare with its own
// independent forward pass. Not installed.
//   mm-model-probe BUNDLE OUTDIR DTYPE SPLIT ID...
//   mm-model-probe --load-state BUNDLE STATE   (loads a state file, prints its length)
// writes OUTDIR/forward.f32   Llama::forward (the training path, no cache): [T, vocab]
//        OUTDIR/cached.f32    prefill of ids[0..SPLIT) then one step per id: logits of
//                             positions SPLIT-1 .. T-1, [T-SPLIT+1, vocab]
//        OUTDIR/batch.f32     two rows of different lengths (row 1 one id behind row 0),
//                             prefilled, copied and stepped together: [2 * steps, vocab]
//        OUTDIR/equal.f32     three rows of equal length (copies of one prefill) stepped
//                             together: [3 * steps, vocab]
//        OUTDIR/state.f32     as cached, but the steps run in a fresh Backbone after
//                             save_state/load_state of the prefill
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "error.h"
#include "model/backbone.h"
#include "model/bundle.h"
#include "model/llama.h"

namespace {

void write(const std::string& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  if (!out) throw mm::Error(path + ": write failed");
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace mm::model;
  if (argc == 4 && std::string(argv[1]) == "--load-state") {  // mm-model-probe --load-state BUNDLE STATE
    Backbone backbone(argv[2], RunOptions{});
    backbone.reset(1, backbone.config().max_positions);
    const size_t n = backbone.load_state(0, argv[3]).size();
    std::cout << "loaded " << n << " ids\n";
    return 0;
  }
  if (argc < 6) {
    std::cerr << "usage: mm-model-probe BUNDLE OUTDIR DTYPE SPLIT ID...\n";
    return 2;
  }
  const std::string bundle = argv[1], out = argv[2], dtype = argv[3];
  const size_t split = std::stoul(argv[4]);
  std::vector<uint32_t> ids;
  for (int i = 5; i < argc; ++i) ids.push_back(uint32_t(std::stoul(argv[i])));
  const size_t T = ids.size();
  if (split < 2 || split >= T) throw mm::Error("SPLIT must be in [2, T)");

  {  // the training path
    BundleConfig b = BundleConfig::load(bundle);
    WeightSet weights(b);
    Llama llama(b.backbone);
    llama.load(weights, scalar_type_from_name(dtype), at::kCPU);
    at::Tensor input = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()), at::kLong).view({1, int64_t(T)});
    at::Tensor logits = llama.forward(input).to(at::kFloat).contiguous();
    write(out + "/forward.f32", std::vector<float>(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel()));
  }

  RunOptions options;
  options.dtype = dtype;
  Backbone backbone(bundle, options);
  const size_t V = backbone.vocab_size();
  std::vector<float> row(V), cached;
  backbone.reset(1, T);
  backbone.prefill(0, ids.data(), split, row.data());
  cached.insert(cached.end(), row.begin(), row.end());
  for (size_t i = split; i < T; ++i) {
    backbone.step(&ids[i], row.data());
    cached.insert(cached.end(), row.begin(), row.end());
  }
  write(out + "/cached.f32", cached);

  // Row 0 holds ids[0..split), row 1 (a copy of row 0 before its last prefill id)
  // ids[0..split-1): the rows differ in length by one, so each step must hide from row 1
  // the key slot that only row 0 has filled.
  {
    std::vector<float> batch, both(2 * V);
    backbone.reset(2, T);
    backbone.prefill(0, ids.data(), split - 1, nullptr);
    backbone.copy_row(0, 1);                             // row 1: ids[0..split-1)
    backbone.prefill(0, ids.data() + split - 1, 1, nullptr);  // row 0: ids[0..split)
    for (size_t i = split; i < T; ++i) {
      uint32_t step_ids[2] = {ids[i], ids[i - 1]};  // row 1 runs one id behind
      backbone.step(step_ids, both.data());
      batch.insert(batch.end(), both.begin(), both.end());
    }
    write(out + "/batch.f32", batch);
  }

  // Three rows of equal length (one prompt, n samples): the path without a mask.
  {
    std::vector<float> equal, three(3 * V);
    backbone.reset(3, T);
    backbone.prefill(2, ids.data(), split, nullptr);
    backbone.copy_row(2, 0);
    backbone.copy_row(2, 1);
    for (size_t i = split; i < T; ++i) {
      uint32_t step_ids[3] = {ids[i], ids[i], ids[i]};
      backbone.step(step_ids, three.data());
      equal.insert(equal.end(), three.begin(), three.end());
    }
    write(out + "/equal.f32", equal);
  }

  {
    backbone.reset(1, T);
    backbone.prefill(0, ids.data(), split, nullptr);
    std::string state = out + "/prefill.state";
    backbone.save_state(0, std::vector<uint32_t>(ids.begin(), ids.begin() + long(split)), state);
    Backbone fresh(bundle, options);
    fresh.reset(1, T);
    std::vector<uint32_t> loaded = fresh.load_state(0, state);
    if (loaded != std::vector<uint32_t>(ids.begin(), ids.begin() + long(split))) throw mm::Error("state ids differ");
    std::vector<float> after;
    for (size_t i = split; i < T; ++i) {
      fresh.step(&ids[i], row.data());
      after.insert(after.end(), row.begin(), row.end());
    }
    write(out + "/state.f32", after);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "mm-model-probe: " << e.what() << "\n";
  return 1;
}
