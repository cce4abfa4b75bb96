// The loss curve of a training run: one row per step, kept as CSV (so that a resumed run
// continues the same file) and drawn as a PNG. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mm::train {

struct LossPoint {
  uint64_t step = 0;       // 1-based: the loss of the step's batch, before its update
  double loss = 0, lr = 0, grad_norm = 0;
  uint64_t ids = 0, scored = 0;  // ids in the batch (padding excluded), ids the loss scored
  double seconds = 0;            // wall time of the step
  double pair_loss = 0;          // the contrastive loss of the step's pairs (0: none)
};

void write_loss_csv(const std::string& path, const std::vector<LossPoint>& points);  // throws mm::Error
std::vector<LossPoint> read_loss_csv(const std::string& path);                       // throws mm::Error

// A PNG: every step's loss (light) and its moving average (dark), the axes labelled with
// the first and last step and the loss range (a log scale when the loss falls tenfold).
// Throws mm::Error when it cannot be written.
void write_loss_png(const std::string& path, const std::vector<LossPoint>& points);

// The mean loss of the first or last `count` steps (all of them when fewer).
double mean_loss(const std::vector<LossPoint>& points, size_t count, bool last);

}  // namespace mm::train
