#include "tokenize/vq_fit.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "error.h"
#include "splitmix64.h"
#include "tokenize/nearest.h"

namespace mm::tokenize {

namespace {

struct Random {
  uint64_t state;
  uint64_t next() { return splitmix64(state); }
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
  if (o.apart_codes < 0 || o.apart_codes >= o.codes) throw UsageError("--own-size-codes must be fewer than --codes");
}

namespace {

// A seeded partial Fisher-Yates shuffle moves `n` drawn vectors to the front; the rest are dropped.
void draw_sample(std::vector<float>& vectors, size_t dims, size_t n, Random& random) {
  size_t total = vectors.size() / dims;
  for (size_t i = 0; i < n; ++i) {
    size_t j = i + random.below(total - i);
    if (j != i) std::swap_ranges(&vectors[i * dims], &vectors[i * dims] + dims, &vectors[j * dims]);
  }
  vectors.resize(n * dims);
}

// Lloyd's iterations on n vectors for `codes` centroids, of which the first `held` keep their
// values (they still take the vectors nearest them). The others start from the first
// vectors of the (shuffled) sample. Leaves each vector's nearest centroid in `index`.
void fit_centroids(const float* vectors, size_t n, size_t dims, float* centroids, int codes, int held,
                   const VqFitOptions& o, const std::string& name, std::vector<uint32_t>& index,
                   const std::function<void(const std::string&)>& report) {
  index.assign(n, 0);
  std::vector<float> distance(n);
  std::vector<double> sums(size_t(codes) * dims);
  std::vector<size_t> counts(codes);
  // Start from distinct sample vectors chosen by the seed (the sample is already shuffled).
  for (int k = held; k < codes; ++k)
    std::memcpy(centroids + size_t(k) * dims, vectors + size_t(k - held) * dims, dims * sizeof(float));
  for (int iteration = 0; iteration <= o.iterations; ++iteration) {
    NearestSearch search(centroids, codes, int(dims));
    assign(search, vectors, n, index.data(), distance.data(), o.threads);
    double error = 0;
    for (size_t i = 0; i < n; ++i) error += distance[i];
    if (report) report(fmt::format("{} iteration {}: mean squared error per pixel {:.2f}", name, iteration,
                                   error / double(n) / (3.0 * o.patch * o.patch)));
    if (iteration == o.iterations) break;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < n; ++i) {
      double* s = &sums[size_t(index[i]) * dims];
      const float* v = vectors + i * dims;
      for (size_t d = 0; d < dims; ++d) s[d] += v[d];
      ++counts[index[i]];
    }
    // An empty cluster takes the vector worst served so far (lowest index on ties).
    std::vector<size_t> order;
    size_t next_worst = 0;
    for (int k = held; k < codes; ++k) {
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
      std::memcpy(centroids + size_t(k) * dims, vectors + i * dims, dims * sizeof(float));
      distance[i] = 0;
    }
  }
}

}  // namespace

Codebook fit_codebook(std::vector<float>& vectors, const VqFitOptions& o,
                      const std::function<void(const std::string&)>& report) {
  std::vector<float> none;
  return fit_codebook(vectors, none, o, report);
}

Codebook fit_codebook(std::vector<float>& vectors, std::vector<float>& apart, const VqFitOptions& o,
                      const std::function<void(const std::string&)>& report) {
  check_fit_options(o);
  Codebook book;
  book.patch = o.patch;
  book.chroma_block = o.chroma_block;
  book.levels = o.levels;
  book.codes = o.codes;
  book.dims = Codebook::dims_for(o.patch, o.chroma_block);
  const size_t dims = size_t(book.dims);
  const int shared_codes = o.codes - o.apart_codes;
  size_t total = vectors.size() / dims;
  if (total < size_t(shared_codes))
    throw Error(fmt::format("{} patches are too few to fit {} codes (give more or larger images)", total, shared_codes));
  size_t apart_total = apart.size() / dims;
  if (apart_total < size_t(o.apart_codes))
    throw Error(fmt::format("{} patches are too few to fit {} codes apart (give more or larger images)", apart_total,
                            o.apart_codes));

  Random random{o.seed};
  size_t n = std::min(total, std::max(o.samples, size_t(shared_codes)));
  draw_sample(vectors, dims, n, random);

  book.centroids.resize(size_t(o.levels) * o.codes * dims);
  std::vector<uint32_t> index;
  if (o.apart_codes > 0) {
    draw_sample(apart, dims, std::min(apart_total, std::max(o.samples, size_t(o.apart_codes))), random);
    fit_centroids(apart.data(), apart.size() / dims, dims, book.centroids.data(), o.apart_codes, 0, o,
                  fmt::format("level 0 codes 0-{}", o.apart_codes - 1), index, report);
  }
  for (int level = 0; level < o.levels; ++level) {
    float* centroids = &book.centroids[size_t(level) * o.codes * dims];
    int held = level == 0 ? o.apart_codes : 0;
    fit_centroids(vectors.data(), n, dims, centroids, o.codes, held, o, fmt::format("level {}", level), index, report);
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
