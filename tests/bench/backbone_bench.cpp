// mm-bench-backbone: prefill and decode speed of a bundle's backbone on the CPU, and the
// process's peak memory beside what the weights and the KV cache need. Prints one JSON
// object; scripts/bench-model.sh sets it beside the Python reference.
//   mm-bench-backbone BUNDLE THREADS [PROMPT STEPS [DTYPE [DEVICE]]]
#include <sys/resource.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "error.h"
#include "model/backbone.h"

namespace {

// On the CPU, the process's CPU time, not the wall clock: on a shared machine a run that
// waits for a core is not slower for it. With one thread this is the work done; the Python
// reference is timed the same way (time.process_time). On a GPU, the wall clock (every
// step copies its logits back, so the device has finished when the clock is read).
bool wall_clock = false;
double cpu_seconds() {
  timespec t{};
  clock_gettime(wall_clock ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

uint64_t peak_rss_bytes() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return uint64_t(u.ru_maxrss) * 1024;
}

uint64_t current_rss_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace mm::model;
  if (argc < 3) {
    std::cerr << "usage: mm-bench-backbone BUNDLE THREADS [PROMPT STEPS [DTYPE [DEVICE]]]\n";
    return 2;
  }
  const std::string dir = argv[1];
  const int threads = std::stoi(argv[2]);
  const size_t prompt = argc > 3 ? std::stoul(argv[3]) : 256, steps = argc > 4 ? std::stoul(argv[4]) : 64;
  const size_t batch = 8, capacity = prompt + steps;

  const uint64_t rss_before = current_rss_bytes();
  RunOptions options;
  options.threads = threads;
  if (argc > 5) options.dtype = argv[5];
  if (argc > 6) options.device = argv[6];
  wall_clock = options.device != "cpu";
  Backbone backbone(dir, options);
  const auto& c = backbone.config();
  uint64_t weight_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors") weight_bytes += entry.file_size();
  // The cache holds keys and values in the run's dtype.
  const uint64_t element_bytes = options.dtype == "f32" ? 4 : 2;
  const uint64_t kv_bytes = uint64_t(c.layers) * 2 * batch * c.kv_heads * capacity * (c.hidden_size / c.heads) * element_bytes;

  std::vector<uint32_t> ids(capacity);
  uint64_t x = 12345;
  for (auto& id : ids) id = uint32_t((x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33) % c.vocab_size;
  std::vector<float> logits(batch * c.vocab_size);

  const uint64_t peak_after_load = peak_rss_bytes();
  // Warm-up: the first forward pays for lazy initialisation inside libtorch.
  backbone.reset(1, capacity);
  backbone.prefill(0, ids.data(), 16, logits.data());

  // Each phase runs `repeats` times and keeps its fastest run: the machine may be shared,
  // and the fastest run is the one least disturbed.
  const int repeats = 3;
  double prefill_s = 1e30, decode1_s = 1e30, decode8_s = 1e30;
  for (int rep = 0; rep < repeats; ++rep) {
    backbone.reset(1, capacity);
    double t0 = cpu_seconds();
    backbone.prefill(0, ids.data(), prompt, logits.data());
    prefill_s = std::min(prefill_s, cpu_seconds() - t0);

    t0 = cpu_seconds();
    for (size_t i = 0; i < steps; ++i) backbone.step(&ids[prompt + i], logits.data());
    decode1_s = std::min(decode1_s, cpu_seconds() - t0);

    // Batch 8: one prefill copied to every row, as n samples of one prompt are run.
    backbone.reset(batch, capacity);
    backbone.prefill(0, ids.data(), prompt, nullptr);
    for (size_t r = 1; r < batch; ++r) backbone.copy_row(0, r);
    std::vector<uint32_t> step_ids(batch);
    t0 = cpu_seconds();
    for (size_t i = 0; i < steps; ++i) {
      for (size_t r = 0; r < batch; ++r) step_ids[r] = ids[prompt + i];
      backbone.step(step_ids.data(), logits.data());
    }
    decode8_s = std::min(decode8_s, cpu_seconds() - t0);
  }

  std::printf(
      "{\"parameters\": %llu, \"device\": \"%s\", \"dtype\": \"%s\", \"threads\": %d, \"prompt\": %zu, \"steps\": %zu, \"prefill_tps\": %.1f, "
      "\"decode1_tps\": %.1f, \"decode8_tps\": %.1f, \"peak_rss\": %llu, \"rss_before_load\": %llu, "
      "\"peak_rss_after_load\": %llu, \"weight_bytes\": %llu, \"kv_bytes\": %llu}\n",
      static_cast<unsigned long long>(c.parameter_count()), options.device.c_str(), options.dtype.c_str(), threads, prompt, steps, double(prompt) / prefill_s,
      double(steps) / decode1_s, double(steps * batch) / decode8_s, static_cast<unsigned long long>(peak_rss_bytes()),
      static_cast<unsigned long long>(rss_before), static_cast<unsigned long long>(peak_after_load),
      static_cast<unsigned long long>(weight_bytes),
      static_cast<unsigned long long>(kv_bytes));
  return 0;
} catch (const std::exception& e) {
  std::cerr << "mm-bench-backbone: " << e.what() << "\n";
  return 1;
}
