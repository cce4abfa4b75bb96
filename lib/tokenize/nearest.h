// Nearest-centroid search for vector quantisation, shared by fitting and encoding: the
// centroid maximising x.c - |c|^2/2 (the same argmin as |x - c|^2), four vectors per pass
// over the codebook so that each centroid is loaded once for four patches.
//
// With `lists` > 0 the search is approximate and several times faster (an inverted file,
// as FAISS calls it): the centroids are grouped by a small k-means of their own into
// `lists` groups, and a query is compared with the group centres first, then only with the
// members of its `probes` nearest groups. Fitting uses the exact search; encoding the
// approximate one (mm-bench-image reports what it costs in PSNR).
#pragma once

#include <cstdint>
#include <vector>

namespace mm::tokenize {

class NearestSearch {
 public:
  // `centroids`: count x dims floats, copied.
  NearestSearch(const float* centroids, int count, int dims, int lists = 0, int probes = 0);
  // For each of `n` vectors (n x dims floats): the index of its nearest centroid and,
  // when `distances` is given, the squared distance to it.
  void find(const float* vectors, int n, uint32_t* indices, float* distances = nullptr) const;
  // The `k` (1 to 8) best centroids of each vector, best first: ids and scores
  // x.c - |c|^2/2 (|x - c|^2 = |x|^2 - 2 score), n x k of each. For beam search.
  void find_top(const float* vectors, int n, int k, uint32_t* ids, float* scores) const;
  int count() const { return count_; }
  int dims() const { return dims_; }

 private:
  struct Block {
    int count = 0, padded = 0;
    std::vector<float> centroids;  // padded floats per centroid (a multiple of 4)
    std::vector<float> half_norms;
    std::vector<uint32_t> ids;     // original index of each
  };
  static Block make_block(const float* centroids, const std::vector<uint32_t>& ids, int dims);
  // Best of `block` for up to four padded vectors at `x`.
  static void scan(const Block& block, const float* x, int m, float* best, uint32_t* best_id);
  void find_exact(const float* vectors, int n, uint32_t* indices) const;
  static void scan_top(const Block& block, const float* x, int k, float* best, uint32_t* best_id);
  void find_lists(const float* vectors, int n, uint32_t* indices) const;

  int count_, dims_, padded_;
  Block all_;
  Block heads_;                // list centres
  std::vector<Block> lists_;
  int probes_ = 0;
};

}  // namespace mm::tokenize
