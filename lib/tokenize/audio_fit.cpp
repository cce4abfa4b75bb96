#include "tokenize/audio_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>

#include "error.h"
#include "splitmix64.h"
#include "tokenize/audio_tokenizer.h"

namespace mm::tokenize {

namespace {

// Seeded partial Fisher-Yates: the first `count` vectors become a uniform sample.
void shuffle_front(std::vector<float>& vectors, size_t dims, size_t count, uint64_t& rng) {
  const size_t n = vectors.size() / dims;
  for (size_t i = 0; i < count && i < n; ++i) {
    size_t j = i + size_t(splitmix64(rng) % (n - i));
    if (j != i) std::swap_ranges(vectors.begin() + ptrdiff_t(i * dims), vectors.begin() + ptrdiff_t((i + 1) * dims),
                                 vectors.begin() + ptrdiff_t(j * dims));
  }
}

// Nearest centroid for vectors [begin, end): argmax of x.c - |c|^2 / 2.
void assign(const std::vector<float>& vectors, const std::vector<float>& centroids, size_t dims, size_t k,
            size_t begin, size_t end, std::vector<uint32_t>& labels, std::vector<float>& distances) {
  std::vector<float> half_norm(k);
  for (size_t c = 0; c < k; ++c) {
    float s = 0;
    for (size_t d = 0; d < dims; ++d) s += centroids[c * dims + d] * centroids[c * dims + d];
    half_norm[c] = s / 2;
  }
  for (size_t i = begin; i < end; ++i) {
    const float* x = vectors.data() + i * dims;
    float best = -std::numeric_limits<float>::infinity();
    size_t best_c = 0;
    for (size_t c = 0; c < k; ++c) {
      const float* m = centroids.data() + c * dims;
      float dot = 0;
      for (size_t d = 0; d < dims; ++d) dot += x[d] * m[d];
      float score = dot - half_norm[c];
      if (score > best) best = score, best_c = c;
    }
    float dist = 0;
    for (size_t d = 0; d < dims; ++d) {
      float diff = x[d] - centroids[best_c * dims + d];
      dist += diff * diff;
    }
    labels[i] = uint32_t(best_c);
    distances[i] = dist;
  }
}

}  // namespace

std::vector<float> kmeans(std::vector<float>& vectors, size_t dims, size_t k, const AudioFitOptions& options,
                          const std::string& name, const std::function<void(const std::string&)>& report) {
  uint64_t rng = options.seed ^ (0x6175646966697400ull + k);
  size_t n = vectors.size() / dims;
  if (n < k) throw Error("audio fit: " + std::to_string(n) + " frames for " + std::to_string(k) + " " + name + " codes; give more audio");
  if (n > options.max_frames) {
    shuffle_front(vectors, dims, options.max_frames, rng);
    n = options.max_frames;
    vectors.resize(n * dims);
  }
  shuffle_front(vectors, dims, k, rng);  // the first k (a seeded sample) start the centroids
  std::vector<float> centroids(vectors.begin(), vectors.begin() + ptrdiff_t(k * dims));
  std::vector<uint32_t> labels(n);
  std::vector<float> distances(n);
  const size_t threads = size_t(std::max(1, options.threads));
  for (int iteration = 0; iteration < options.iterations; ++iteration) {
    std::vector<std::thread> workers;
    for (size_t t = 0; t < threads; ++t)
      workers.emplace_back(assign, std::cref(vectors), std::cref(centroids), dims, k, n * t / threads,
                           n * (t + 1) / threads, std::ref(labels), std::ref(distances));
    for (auto& w : workers) w.join();
    double error = 0;
    std::vector<double> sums(k * dims, 0.0);
    std::vector<size_t> counts(k, 0);
    for (size_t i = 0; i < n; ++i) {
      error += distances[i];
      ++counts[labels[i]];
      for (size_t d = 0; d < dims; ++d) sums[labels[i] * dims + d] += vectors[i * dims + d];
    }
    // An empty cluster restarts at the vector worst served so far (deterministic: ties to the lower index).
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] > 0) {
        for (size_t d = 0; d < dims; ++d) centroids[c * dims + d] = float(sums[c * dims + d] / double(counts[c]));
        continue;
      }
      size_t worst = size_t(std::max_element(distances.begin(), distances.end()) - distances.begin());
      std::copy_n(vectors.begin() + ptrdiff_t(worst * dims), dims, centroids.begin() + ptrdiff_t(c * dims));
      distances[worst] = 0;
    }
    if (report) {
      char line[160];
      std::snprintf(line, sizeof line, "%s: iteration %d: mean squared error %.3f dB^2 over %zu frames", name.c_str(),
                    iteration + 1, error / double(n), n);
      report(line);
    }
  }
  return centroids;
}

AudioFitter::AudioFitter(AudioFitOptions options) : options_(options) {
  if (options_.bands < 2 || options_.shape_codes < 2 || options_.residual_codes < 1 || options_.gain_levels < 2 ||
      int64_t(options_.gain_levels) * options_.residual_codes > (1 << 20))
    throw UsageError("audio fit: bands, codes and gain levels out of range");
  geometry_.band_edges = AudioCodebook::mel_band_edges(options_.bands, geometry_.sample_rate, geometry_.fft_size);
  geometry_.shape_codes = options_.shape_codes;
  geometry_.residual_codes = options_.residual_codes;
  geometry_.gain_levels = options_.gain_levels;
  // Level 0 is -100 dB (silence); the top level sits a little above a full-scale signal's.
  geometry_.gain_step_db = 110.0f / float(options_.gain_levels - 1);
}

void AudioFitter::add(const float* samples, size_t n) {
  const size_t bands = geometry_.bands();
  std::vector<float> levels;
  AudioAnalyzer(geometry_).analyze(samples, n, levels);
  for (size_t t = 0; t * bands < levels.size(); ++t) {
    const float* level = levels.data() + t * bands;
    float gain = 0;
    for (size_t b = 0; b < bands; ++b) gain += level[b];
    gain /= float(bands);
    if (std::lround((gain - geometry_.gain_min_db) / geometry_.gain_step_db) <= 0) continue;
    for (size_t b = 0; b < bands; ++b) shapes_.push_back(level[b] - gain);
  }
}

AudioCodebook AudioFitter::fit(const std::string& fit_json, const std::function<void(const std::string&)>& report) {
  const size_t bands = geometry_.bands();
  AudioCodebook book = geometry_;
  book.fit_json = fit_json;
  std::vector<float> shapes = shapes_;
  book.shapes = kmeans(shapes, bands, size_t(options_.shape_codes), options_, "shape", report);
  // What the shapes leave, over the same (sampled) frames.
  std::vector<float> residuals(shapes.size());
  std::vector<uint32_t> labels(shapes.size() / bands);
  std::vector<float> distances(labels.size());
  assign(shapes, book.shapes, bands, size_t(options_.shape_codes), 0, labels.size(), labels, distances);
  for (size_t i = 0; i < labels.size(); ++i)
    for (size_t b = 0; b < bands; ++b) residuals[i * bands + b] = shapes[i * bands + b] - book.shapes[labels[i] * bands + b];
  book.residuals = kmeans(residuals, bands, size_t(options_.residual_codes), options_, "residual", report);
  return book;
}

}  // namespace mm::tokenize
