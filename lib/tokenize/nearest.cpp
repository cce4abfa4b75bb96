#include "tokenize/nearest.h"

#include <cstring>
#include <limits>

namespace mm::tokenize {

namespace {

// GCC/Clang vector extension: 4 floats, one SSE register (the baseline of x86-64; NEON on ARM).
typedef float v4 __attribute__((vector_size(16)));

inline v4 load(const float* p) {
  v4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline float sum(v4 v) {
  float s = 0;
  for (int i = 0; i < 4; ++i) s += v[i];
  return s;
}

}  // namespace

NearestSearch::NearestSearch(const float* centroids, int count, int dims)
    : count_(count), dims_(dims), padded_((dims + 3) / 4 * 4) {
  centroids_.assign(size_t(count) * padded_, 0.f);
  half_norms_.resize(count);
  for (int k = 0; k < count; ++k) {
    double norm = 0;
    for (int d = 0; d < dims; ++d) {
      float v = centroids[size_t(k) * dims + d];
      centroids_[size_t(k) * padded_ + d] = v;
      norm += double(v) * v;
    }
    half_norms_[k] = float(norm / 2);
  }
}

void NearestSearch::find(const float* vectors, int n, uint32_t* indices, float* distances) const {
  const int blocks = padded_ / 4;
  std::vector<float> x(size_t(4) * padded_);
  for (int start = 0; start < n; start += 4) {
    int m = std::min(4, n - start);
    std::fill(x.begin(), x.end(), 0.f);
    for (int i = 0; i < m; ++i) std::memcpy(&x[size_t(i) * padded_], vectors + size_t(start + i) * dims_, dims_ * sizeof(float));
    float best[4];
    uint32_t best_k[4] = {0, 0, 0, 0};
    for (float& b : best) b = -std::numeric_limits<float>::infinity();
    for (int k = 0; k < count_; ++k) {
      const float* c = &centroids_[size_t(k) * padded_];
      v4 a0 = {}, a1 = {}, a2 = {}, a3 = {};
      for (int b = 0; b < blocks; ++b) {
        v4 cv = load(c + b * 4);
        a0 += cv * load(&x[b * 4]);
        a1 += cv * load(&x[padded_ + b * 4]);
        a2 += cv * load(&x[2 * padded_ + b * 4]);
        a3 += cv * load(&x[3 * padded_ + b * 4]);
      }
      float h = half_norms_[k];
      float s[4] = {sum(a0) - h, sum(a1) - h, sum(a2) - h, sum(a3) - h};
      for (int i = 0; i < 4; ++i)
        if (s[i] > best[i]) {
          best[i] = s[i];
          best_k[i] = uint32_t(k);
        }
    }
    for (int i = 0; i < m; ++i) {
      indices[start + i] = best_k[i];
      if (distances) {
        const float* v = vectors + size_t(start + i) * dims_;
        const float* c = &centroids_[size_t(best_k[i]) * padded_];
        float d = 0;
        for (int j = 0; j < dims_; ++j) d += (v[j] - c[j]) * (v[j] - c[j]);
        distances[start + i] = d;
      }
    }
  }
}

}  // namespace mm::tokenize
