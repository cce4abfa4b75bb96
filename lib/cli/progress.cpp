#include "cli/progress.h"

#include <cstdio>
#include <unistd.h>

namespace mm::cli {

namespace {
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = double(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

Progress::Progress(std::string label, bool enabled)
    : label_(std::move(label)), active_(enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t bytes, uint64_t tokens) {
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < kRedrawInterval) return;
  last_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r\033[K%s: %s, %llu tokens (%s/s)", label_.c_str(), human_bytes(bytes).c_str(),
               static_cast<unsigned long long>(tokens),
               human_bytes(static_cast<uint64_t>(seconds > 0 ? bytes / seconds : 0)).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

}  // namespace mm::cli
