#include "tokenize/nearest.h"

#include <algorithm>
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

inline float sum(v4 v) { return v[0] + v[1] + v[2] + v[3]; }

}  // namespace

NearestSearch::Block NearestSearch::make_block(const float* centroids, const std::vector<uint32_t>& ids, int dims) {
  Block b;
  b.count = int(ids.size());
  b.padded = (dims + 3) / 4 * 4;
  b.centroids.assign(size_t(b.count) * b.padded, 0.f);
  b.half_norms.resize(b.count);
  b.ids = ids;
  for (int k = 0; k < b.count; ++k) {
    double norm = 0;
    for (int d = 0; d < dims; ++d) {
      float v = centroids[size_t(ids[k]) * dims + d];
      b.centroids[size_t(k) * b.padded + d] = v;
      norm += double(v) * v;
    }
    b.half_norms[k] = float(norm / 2);
  }
  return b;
}

void NearestSearch::scan(const Block& block, const float* x, int m, float* best, uint32_t* best_id) {
  const int blocks = block.padded / 4, padded = block.padded;
  if (m == 1) {  // one query: one accumulator, a quarter of the work
    for (int k = 0; k < block.count; ++k) {
      const float* c = &block.centroids[size_t(k) * padded];
      v4 a = {};
      for (int b = 0; b < blocks; ++b) a += load(c + b * 4) * load(&x[b * 4]);
      float s = sum(a) - block.half_norms[k];
      if (s > best[0]) {
        best[0] = s;
        best_id[0] = block.ids[k];
      }
    }
    return;
  }
  for (int k = 0; k < block.count; ++k) {
    const float* c = &block.centroids[size_t(k) * padded];
    v4 a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (int b = 0; b < blocks; ++b) {
      v4 cv = load(c + b * 4);
      a0 += cv * load(&x[b * 4]);
      a1 += cv * load(&x[padded + b * 4]);
      a2 += cv * load(&x[2 * padded + b * 4]);
      a3 += cv * load(&x[3 * padded + b * 4]);
    }
    float h = block.half_norms[k];
    float s[4] = {sum(a0) - h, sum(a1) - h, sum(a2) - h, sum(a3) - h};
    for (int i = 0; i < m; ++i)
      if (s[i] > best[i]) {
        best[i] = s[i];
        best_id[i] = block.ids[k];
      }
  }
}

NearestSearch::NearestSearch(const float* centroids, int count, int dims, int lists, int probes)
    : count_(count), dims_(dims), padded_((dims + 3) / 4 * 4) {
  std::vector<uint32_t> ids(count);
  for (int k = 0; k < count; ++k) ids[k] = uint32_t(k);
  all_ = make_block(centroids, ids, dims);
  if (lists <= 1 || probes <= 0 || lists * 4 > count || probes >= lists) return;
  probes_ = probes;
  // Group the centroids: a few exact k-means rounds over them, started from evenly spaced
  // ones, so the grouping is a deterministic function of the codebook.
  std::vector<float> heads(size_t(lists) * dims);
  for (int l = 0; l < lists; ++l)
    std::memcpy(&heads[size_t(l) * dims], centroids + size_t(l) * (count / lists) * dims, dims * sizeof(float));
  std::vector<uint32_t> group(count);
  for (int round = 0; round < 8; ++round) {
    NearestSearch exact(heads.data(), lists, dims);
    exact.find(centroids, count, group.data());
    std::vector<double> sums(size_t(lists) * dims, 0.0);
    std::vector<int> members(lists, 0);
    for (int k = 0; k < count; ++k) {
      ++members[group[k]];
      for (int d = 0; d < dims; ++d) sums[size_t(group[k]) * dims + d] += centroids[size_t(k) * dims + d];
    }
    for (int l = 0; l < lists; ++l)
      if (members[l] > 0)
        for (int d = 0; d < dims; ++d) heads[size_t(l) * dims + d] = float(sums[size_t(l) * dims + d] / members[l]);
  }
  NearestSearch exact(heads.data(), lists, dims);
  exact.find(centroids, count, group.data());
  std::vector<uint32_t> head_ids(lists);
  for (int l = 0; l < lists; ++l) head_ids[l] = uint32_t(l);
  heads_ = make_block(heads.data(), head_ids, dims);
  std::vector<std::vector<uint32_t>> members(lists);
  for (int k = 0; k < count; ++k) members[group[k]].push_back(uint32_t(k));
  for (int l = 0; l < lists; ++l) lists_.push_back(make_block(centroids, members[l], dims));
}

void NearestSearch::find(const float* vectors, int n, uint32_t* indices, float* distances) const {
  if (probes_ > 0) find_lists(vectors, n, indices);
  else find_exact(vectors, n, indices);
  if (!distances) return;
  for (int i = 0; i < n; ++i) {
    const float* v = vectors + size_t(i) * dims_;
    const float* c = &all_.centroids[size_t(indices[i]) * padded_];
    float d = 0;
    for (int j = 0; j < dims_; ++j) d += (v[j] - c[j]) * (v[j] - c[j]);
    distances[i] = d;
  }
}

void NearestSearch::find_exact(const float* vectors, int n, uint32_t* indices) const {
  std::vector<float> x(size_t(4) * padded_);
  for (int start = 0; start < n; start += 4) {
    int m = std::min(4, n - start);
    std::fill(x.begin(), x.end(), 0.f);
    for (int i = 0; i < m; ++i) std::memcpy(&x[size_t(i) * padded_], vectors + size_t(start + i) * dims_, dims_ * sizeof(float));
    float best[4];
    uint32_t best_id[4] = {0, 0, 0, 0};
    std::fill(best, best + 4, -std::numeric_limits<float>::infinity());
    scan(all_, x.data(), m, best, best_id);
    std::copy(best_id, best_id + m, indices + start);
  }
}

void NearestSearch::scan_top(const Block& block, const float* x, int k, float* best, uint32_t* best_id) {
  const int blocks = block.padded / 4;
  for (int c = 0; c < block.count; ++c) {
    const float* centroid = &block.centroids[size_t(c) * block.padded];
    v4 a = {};
    for (int b = 0; b < blocks; ++b) a += load(centroid + b * 4) * load(&x[b * 4]);
    float s = sum(a) - block.half_norms[c];
    if (s <= best[k - 1]) continue;
    int at = k - 1;  // insertion into the sorted few
    while (at > 0 && s > best[at - 1]) {
      best[at] = best[at - 1];
      best_id[at] = best_id[at - 1];
      --at;
    }
    best[at] = s;
    best_id[at] = block.ids[c];
  }
}

void NearestSearch::find_top(const float* vectors, int n, int k, uint32_t* ids, float* scores) const {
  k = std::clamp(k, 1, 8);
  std::vector<float> x(padded_), head_scores(heads_.count);
  std::vector<int> order(heads_.count);
  for (int i = 0; i < n; ++i) {
    std::fill(x.begin(), x.end(), 0.f);
    std::memcpy(x.data(), vectors + size_t(i) * dims_, dims_ * sizeof(float));
    float* best = scores + size_t(i) * k;
    uint32_t* best_id = ids + size_t(i) * k;
    std::fill(best, best + k, -std::numeric_limits<float>::infinity());
    std::fill(best_id, best_id + k, 0u);
    if (probes_ == 0) {
      scan_top(all_, x.data(), k, best, best_id);
      continue;
    }
    for (int l = 0; l < heads_.count; ++l) {
      const float* c = &heads_.centroids[size_t(l) * padded_];
      v4 a = {};
      for (int b = 0; b < padded_ / 4; ++b) a += load(c + b * 4) * load(&x[b * 4]);
      head_scores[l] = sum(a) - heads_.half_norms[l];
      order[l] = l;
    }
    std::partial_sort(order.begin(), order.begin() + probes_, order.end(), [&](int a, int b) {
      return head_scores[a] > head_scores[b] || (head_scores[a] == head_scores[b] && a < b);
    });
    for (int p = 0; p < probes_; ++p) scan_top(lists_[order[p]], x.data(), k, best, best_id);
  }
}

void NearestSearch::find_lists(const float* vectors, int n, uint32_t* indices) const {
  const int lists = heads_.count;
  std::vector<float> x(size_t(4) * padded_), scores(lists);
  std::vector<int> order(lists);
  for (int i = 0; i < n; ++i) {
    std::fill(x.begin(), x.end(), 0.f);
    std::memcpy(x.data(), vectors + size_t(i) * dims_, dims_ * sizeof(float));
    // Scores against every list centre, then the best `probes_` lists searched exactly.
    for (int l = 0; l < lists; ++l) {
      const float* c = &heads_.centroids[size_t(l) * padded_];
      v4 a = {};
      for (int b = 0; b < padded_ / 4; ++b) a += load(c + b * 4) * load(&x[b * 4]);
      scores[l] = sum(a) - heads_.half_norms[l];
    }
    for (int l = 0; l < lists; ++l) order[l] = l;
    std::partial_sort(order.begin(), order.begin() + probes_, order.end(),
                      [&](int a, int b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
    float best = -std::numeric_limits<float>::infinity();
    uint32_t best_id = 0;
    for (int p = 0; p < probes_; ++p) scan(lists_[order[p]], x.data(), 1, &best, &best_id);
    indices[i] = best_id;
  }
}

}  // namespace mm::tokenize
