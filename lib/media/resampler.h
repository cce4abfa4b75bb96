// A streaming mono resampler (libswresample) that keeps count: after finish(), exactly
// llround(input * out_rate / in_rate) samples have come out, so durations survive a round
// trip through another rate to the sample.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace mm::media {

class Resampler {
 public:
  // Throws mm::Error for rates outside 1 to 768000 Hz.
  Resampler(int in_rate, int out_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Appends what `n` more input samples give (a filter's delay may hold some back).
  void push(const float* samples, size_t n, std::vector<float>& out);
  // Appends the rest: the total out is then exactly output_count(input) (the end is padded
  // with silence or its ringing cut).
  void finish(std::vector<float>& out);
  static uint64_t output_count(uint64_t input, int in_rate, int out_rate);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mm::media
