// Fits the default audio tokenizer's codebooks (tokenize/audio_tokenizer.h) on recordings:
// k-means of the frames' envelope shapes, then k-means of what the shapes leave. The same
// frames, options and seed give byte-identical codebooks, whatever the number of threads
// (threads only split the nearest-centroid search; sums run in one fixed order, in double).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tokenize/audio_codebook.h"

namespace mm::tokenize {

struct AudioFitOptions {
  int bands = 24;
  int shape_codes = 4096;
  int residual_codes = 64;
  int gain_levels = 64;
  int iterations = 20;
  size_t max_frames = 200000;  // frames drawn (seeded) when more are given
  uint64_t seed = 1;
  int threads = 1;
};

class AudioFitter {
 public:
  explicit AudioFitter(AudioFitOptions options);
  // The geometry that frames are analysed with (the codebooks still empty).
  const AudioCodebook& geometry() const { return geometry_; }
  // Adds the frames of a mono recording at geometry().sample_rate; frames of digital
  // silence (gain level 0) are left out.
  void add(const float* samples, size_t n);
  size_t frames() const { return shapes_.size() / geometry_.bands(); }
  // `report` (optional) hears one line per k-means iteration. Throws mm::Error when there are
  // fewer frames than shape codes.
  AudioCodebook fit(const std::string& fit_json, const std::function<void(const std::string&)>& report = {});

 private:
  AudioFitOptions options_;
  AudioCodebook geometry_;
  std::vector<float> shapes_;  // frames x bands: levels minus their mean, in dB
};

// Lloyd's k-means on n x dims `vectors` (reordered in place by the seeded sampling).
std::vector<float> kmeans(std::vector<float>& vectors, size_t dims, size_t k, const AudioFitOptions& options,
                          const std::string& name, const std::function<void(const std::string&)>& report);

}  // namespace mm::tokenize
