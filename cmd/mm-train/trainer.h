// Training a bundle's backbone on examples with libtorch: batches of whole examples packed
// into rows of a fixed context length, next-id prediction scored where the examples say,
// AdamW with linear warm-up and cosine decay, gradient clipping, checkpoints that resume
// exactly. This header is torch-free; trainer.cpp is the only file here that includes torch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "examples.h"
#include "loss_curve.h"

namespace mm::train {

struct TrainOptions {
  std::string bundle;  // the starting bundle: config, layout, tokenizers and initial weights
  std::string output;  // the finished bundle's directory
  std::string resume;  // a checkpoint directory to continue from ("": start at step 0)
  uint64_t steps = 1000;
  uint32_t batch = 8;      // rows per step
  uint32_t context = 256;  // ids per row
  double lr = 3e-3, min_lr = 3e-4;
  uint64_t warmup = 100;
  double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, epsilon = 1e-8;
  double clip = 1.0;                 // the gradients' global norm is clipped to this (0: off)
  uint64_t checkpoint_every = 0;     // also write a checkpoint every N steps (0: at the end only)
  uint64_t stop_after = 0;           // stop after this step (0: run to `steps`), as if interrupted
  // The loss's softmax over every id of the vocabulary (Full), or only over the ids the
  // training examples hold and the starting bundle's output_ids (Seen: far cheaper when a
  // world uses a few thousand of 40000 ids; the bundle written names them as its output_ids,
  // the only ids inference then produces), or over the examples' ids alone (Data: the same
  // output_ids, but the starting bundle's others are no negatives. Adam moves a row that is
  // only ever a negative by about the learning rate each step, however small its gradient,
  // so a phase without speech turns the audio codes' tied rows: mm-train(1)).
  enum class Softmax { Full, Seen, Data };
  // Their names, as --softmax takes them and training.json records them, in the enum's order.
  static constexpr const char* kSoftmaxNames[] = {"full", "seen", "data"};
  Softmax softmax = Softmax::Full;
  // With a Seen or Data softmax: the bundle written (not the checkpoint, which resumes exactly) holds
  // zeros in the embedding and head rows of ids the examples never hold. Training never
  // touched them but for weight decay, so they are the init's noise; zeros say the same and
  // compress (the default model's are two thirds of its weights).
  bool zero_unseen = false;
  // Adds grid place embeddings of this many rows and columns (zeros: the model starts as it
  // was) to a bundle that has none; 0: the bundle's own, if any. See model/places.h.
  uint32_t grid_places = 0;
  // Starts images and videos at rotary positions that are multiples of this (places.h); 0:
  // the bundle's own setting.
  uint32_t align_visual = 0;
  bool grid_rope = false;  // turn some rotary pairs of image codes by row and column (backbone.h)
  // With pairs (train()'s `pairs`): each step also embeds `pair_batch` pairs, each view
  // alone and pooled as mm-encode --embeddings pools it, and adds `pair_weight` times a
  // symmetric InfoNCE loss (cosine similarities over `pair_temperature`, the other pairs
  // of the batch as negatives), so that a caption's embedding finds its image.
  uint32_t pair_batch = 16;
  double pair_weight = 1.0, pair_temperature = 0.05;
  std::string dtype = "f32";         // of the weights written
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;
};

struct TrainResult {
  std::vector<LossPoint> curve;
  uint64_t parameters = 0, first_step = 0, last_step = 0;
  size_t rows_per_epoch = 0, truncated = 0;
  size_t softmax_ids = 0;  // the ids the loss's softmax ran over
  double seconds = 0;  // wall time of this run's steps
  uint64_t ids = 0, scored = 0;  // processed by this run's steps
};

// Called after every step with its point (for progress and logs).
using StepCallback = std::function<void(const LossPoint&, uint64_t steps)>;

// Trains and writes `options.output`: a bundle (config.json, weights, the tokenizer files),
// loss.csv, loss.png, training.json, and checkpoint/ (the same bundle plus the optimizer
// state and the data position). Throws mm::Error.
TrainResult train(const ExampleSet& data, const PairSet* pairs, const TrainOptions& options, const StepCallback& on_step);

}  // namespace mm::train
