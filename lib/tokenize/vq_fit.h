// Fits a residual VQ codebook by k-means (Lloyd's algorithm), deterministically: the same
// vectors, options and seed give the same codebook, whatever the number of threads (threads
// only split the assignment step; sums are accumulated in one fixed order, in double).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "media/image.h"
#include "tokenize/vq_codebook.h"

namespace mm::tokenize {

struct VqFitOptions {
  int patch = 8;
  int chroma_block = 2;
  int levels = 2;
  int codes = 4096;
  int iterations = 12;
  size_t samples = 100000;  // patch vectors drawn (without replacement) from all given
  // Level 0's first `apart_codes` codes are fit on the `apart` vectors alone (images whose
  // patches photos would otherwise outweigh), then held while the rest are fit on the sample.
  int apart_codes = 0;
  uint64_t seed = 1;
  int threads = 1;
};

// Throws mm::UsageError for a patch, chroma block, level count or code count the codebook
// format does not allow; before any patch is cut with them.
void check_fit_options(const VqFitOptions& options);

// Appends the vectors of every whole patch of `image` (tokenize/vq_codebook.h's space).
void append_patch_vectors(const media::Image& image, int patch, int chroma_block, std::vector<float>& vectors);

// `vectors`: n x dims floats; reordered in place by the sampling. `report` (optional) is
// told "level L iteration I: mean squared error E" as the fit goes.
Codebook fit_codebook(std::vector<float>& vectors, const VqFitOptions& options,
                      const std::function<void(const std::string&)>& report = {});

// The same, with level 0's first options.apart_codes codes fit on `apart` alone (at most
// options.samples of them, drawn as the sample is); `apart` is reordered too. Throws
// mm::UsageError when apart_codes is not below options.codes, and mm::Error when `apart`
// has fewer vectors than apart_codes.
Codebook fit_codebook(std::vector<float>& vectors, std::vector<float>& apart, const VqFitOptions& options,
                      const std::function<void(const std::string&)>& report = {});

}  // namespace mm::tokenize
