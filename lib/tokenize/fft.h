// A small radix-2 complex FFT for the audio tokenizer's fixed frame size: no dependency,
// the same bits on every machine (a codebook fit here must encode the same way anywhere).
#pragma once

#include <complex>
#include <vector>

namespace mm::tokenize {

class Fft {
 public:
  // `size` must be a power of two (throws mm::Error otherwise).
  explicit Fft(size_t size);
  size_t size() const { return size_; }
  // In place; forward: X_k = sum x_n e^{-2 pi i k n / N}; inverse: the same with +i and 1/N.
  void forward(std::vector<std::complex<float>>& data) const { transform(data, false); }
  void inverse(std::vector<std::complex<float>>& data) const { transform(data, true); }

 private:
  void transform(std::vector<std::complex<float>>& data, bool inverse) const;
  size_t size_;
  std::vector<size_t> reversed_;               // bit-reversal permutation
  std::vector<std::complex<float>> twiddles_;  // e^{-2 pi i k / N}, k < N/2
};

}  // namespace mm::tokenize
