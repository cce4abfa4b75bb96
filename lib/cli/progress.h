// A progress line on stderr for long work, only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mm::cli {

class Progress {
 public:
  // Shown only when `enabled` (not --quiet) and stderr is a terminal.
  Progress(std::string label, bool enabled);
  ~Progress();
  // Cheap to call often: redraws at most a few times per second.
  void update(uint64_t bytes, uint64_t tokens);
  void finish();  // erases the line

 private:
  std::string label_;
  bool active_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// 1536 -> "1.5 KiB"
std::string human_bytes(uint64_t bytes);

}  // namespace mm::cli
