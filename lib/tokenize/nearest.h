// Nearest-centroid search for vector quantisation, shared by fitting and encoding: the
// centroid maximising x.c - |c|^2/2 (the same argmin as |x - c|^2), four vectors per pass
// over the codebook so that each centroid is loaded once for four patches.
#pragma once

#include <cstdint>
#include <vector>

namespace mm::tokenize {

class NearestSearch {
 public:
  // `centroids`: count x dims floats, copied.
  NearestSearch(const float* centroids, int count, int dims);
  // For each of `n` vectors (n x dims floats): the index of its nearest centroid and,
  // when `distances` is given, the squared distance to it.
  void find(const float* vectors, int n, uint32_t* indices, float* distances = nullptr) const;
  int count() const { return count_; }
  int dims() const { return dims_; }

 private:
  int count_, dims_, padded_;
  std::vector<float> centroids_;  // padded_ floats per centroid (a multiple of 4)
  std::vector<float> half_norms_;
};

}  // namespace mm::tokenize
