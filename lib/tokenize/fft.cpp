#include "tokenize/fft.h"

#include <cmath>

#include "error.h"

namespace mm::tokenize {

Fft::Fft(size_t size) : size_(size) {
  if (size < 2 || (size & (size - 1)) != 0) throw Error("FFT size " + std::to_string(size) + " is not a power of two");
  int bits = 0;
  while ((size_t(1) << bits) < size) ++bits;
  reversed_.resize(size);
  for (size_t i = 0; i < size; ++i) {
    size_t r = 0;
    for (int b = 0; b < bits; ++b)
      if (i & (size_t(1) << b)) r |= size_t(1) << (bits - 1 - b);
    reversed_[i] = r;
  }
  twiddles_.resize(size / 2);
  for (size_t k = 0; k < size / 2; ++k) {
    double angle = -2.0 * M_PI * double(k) / double(size);
    twiddles_[k] = {float(std::cos(angle)), float(std::sin(angle))};
  }
}

void Fft::transform(std::vector<std::complex<float>>& data, bool inverse) const {
  if (data.size() != size_) throw Error("FFT of " + std::to_string(data.size()) + " values, expected " + std::to_string(size_));
  for (size_t i = 0; i < size_; ++i)
    if (i < reversed_[i]) std::swap(data[i], data[reversed_[i]]);
  for (size_t half = 1; half < size_; half *= 2) {
    size_t step = size_ / (2 * half);
    for (size_t start = 0; start < size_; start += 2 * half) {
      for (size_t k = 0; k < half; ++k) {
        // Written out: std::complex's operator* takes a slow path to handle infinities.
        const std::complex<float> w = twiddles_[k * step], x = data[start + k + half];
        const float wi = inverse ? -w.imag() : w.imag();
        const std::complex<float> odd(w.real() * x.real() - wi * x.imag(), w.real() * x.imag() + wi * x.real());
        data[start + k + half] = data[start + k] - odd;
        data[start + k] += odd;
      }
    }
  }
  if (inverse) {
    float scale = 1.0f / float(size_);
    for (auto& v : data) v *= scale;
  }
}

}  // namespace mm::tokenize
