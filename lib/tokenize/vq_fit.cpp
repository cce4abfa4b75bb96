#include "tokenize/vq_fit.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "error.h"
#include "tokenize/nearest.h"

namespace mm::tokenize {

namespace {

// splitmix64: a tiny generator whose sequence is the same on every platform (the standard
// library's distributions are not).
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return size_t(next() % n); }
};

void assign(const NearestSearch& search, const float* vectors, size_t n, uint32_t* indices, float* distances,
            int threads) {
  threads = int(std::max<size_t>(1, std::min<size_t>(size_t(std::max(threads, 1)), n / 64 + 1)));
  auto part = [&](size_t first, size_t last) {
    search.find(vectors + first * search.dims(), int(last - first), indices + first, distances + first);
  };
  if (threads == 1) return part(0, n);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(part, n * t / threads, n * (t + 1) / threads);
  for (auto& t : pool) t.join();
}

}  // namespace

void append_patch_vectors(const media::Image& image, int patch, int chroma_block, std::vector<float>& vectors) {
  VqFitOptions o;
  o.patch = patch;
  o.chroma_block = chroma_block;
  check_fit_options(o);
  int dims = Codebook::dims_for(patch, chroma_block);
  for (int y = 0; y + patch <= image.height; y += patch)
    for (int x = 0; x + patch <= image.width; x += patch) {
      size_t at = vectors.size();
      vectors.resize(at + dims);
      patch_to_vector(image.rgb.data(), image.width, x, y, patch, chroma_block, &vectors[at]);
    }
}

void check_fit_options(const VqFitOptions& o) {
  if (o.patch != 4 && o.patch != 8 && o.patch != 16) throw UsageError("--patch must be 4, 8 or 16");
  if ((o.chroma_block != 1 && o.chroma_block != 2 && o.chroma_block != 4) || o.chroma_block > o.patch)
    throw UsageError("--chroma-block must be 1, 2 or 4, at most the patch");
  if (o.levels < 1 || o.levels > 8) throw UsageError("--levels must be 1 to 8");
  if (o.codes < 2 || o.codes > 65536) throw UsageError("--codes must be 2 to 65536");
}

Codebook fit_codebook(std::vector<float>& vectors, const VqFitOptions& o,
                      const std::function<void(const std::string&)>& report) {
  check_fit_options(o);
  Codebook book;
  book.patch = o.patch;
  book.chroma_block = o.chroma_block;
  book.levels = o.levels;
  book.codes = o.codes;
  book.dims = Codebook::dims_for(o.patch, o.chroma_block);
  const size_t dims = size_t(book.dims);
  size_t total = vectors.size() / dims;
  if (total < size_t(o.codes))
    throw Error(fmt::format("{} patches are too few to fit {} codes (give more or larger images)", total, o.codes));

  // Draw the sample: a seeded partial Fisher-Yates shuffle moves it to the front.
  Random random{o.seed};
  size_t n = std::min(total, std::max(o.samples, size_t(o.codes)));
  for (size_t i = 0; i < n; ++i) {
    size_t j = i + random.below(total - i);
    if (j != i) std::swap_ranges(&vectors[i * dims], &vectors[i * dims] + dims, &vectors[j * dims]);
  }
  vectors.resize(n * dims);

  book.centroids.resize(size_t(o.levels) * o.codes * dims);
  std::vector<uint32_t> index(n);
  std::vector<float> distance(n);
  std::vector<double> sums(size_t(o.codes) * dims);
  std::vector<size_t> counts(o.codes);
  for (int level = 0; level < o.levels; ++level) {
    float* centroids = &book.centroids[size_t(level) * o.codes * dims];
    // Start from distinct sample vectors chosen by the seed (the sample is already shuffled).
    for (int k = 0; k < o.codes; ++k) std::memcpy(centroids + size_t(k) * dims, &vectors[size_t(k) * dims], dims * sizeof(float));
    for (int iteration = 0; iteration <= o.iterations; ++iteration) {
      NearestSearch search(centroids, o.codes, int(dims));
      assign(search, vectors.data(), n, index.data(), distance.data(), o.threads);
      double error = 0;
      for (size_t i = 0; i < n; ++i) error += distance[i];
      if (report) report(fmt::format("level {} iteration {}: mean squared error per pixel {:.2f}", level, iteration,
                                     error / double(n) / (3.0 * o.patch * o.patch)));
      if (iteration == o.iterations) break;
      std::fill(sums.begin(), sums.end(), 0.0);
      std::fill(counts.begin(), counts.end(), 0);
      for (size_t i = 0; i < n; ++i) {
        double* s = &sums[size_t(index[i]) * dims];
        const float* v = &vectors[i * dims];
        for (size_t d = 0; d < dims; ++d) s[d] += v[d];
        ++counts[index[i]];
      }
      // An empty cluster takes the vector worst served so far (lowest index on ties).
      std::vector<size_t> order;
      size_t next_worst = 0;
      for (int k = 0; k < o.codes; ++k) {
        if (counts[k] > 0) {
          for (size_t d = 0; d < dims; ++d) centroids[size_t(k) * dims + d] = float(sums[size_t(k) * dims + d] / double(counts[k]));
          continue;
        }
        if (order.empty()) {
          order.resize(n);
          for (size_t i = 0; i < n; ++i) order[i] = i;
          std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return distance[a] > distance[b]; });
        }
        size_t i = order[std::min(next_worst++, n - 1)];
        std::memcpy(centroids + size_t(k) * dims, &vectors[i * dims], dims * sizeof(float));
        distance[i] = 0;
      }
    }
    // What this level leaves is what the next one quantises.
    if (level + 1 < o.levels)
      for (size_t i = 0; i < n; ++i) {
        const float* c = centroids + size_t(index[i]) * dims;
        float* v = &vectors[i * dims];
        for (size_t d = 0; d < dims; ++d) v[d] -= c[d];
      }
  }
  return book;
}

}  // namespace mm::tokenize
