// The image tokenizer: frames <-> codes with a residual VQ codebook (tokenize/vq_codebook.h).
// It knows nothing of files, streams or the backbone. A frame whose sides are multiples of
// the patch becomes, for each patch in raster order, `levels` codes (level 0 first), so a
// frame of W x H pixels is a grid of (W/patch * levels) x (H/patch) codes in raster order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "media/image.h"
#include "tokenize/nearest.h"
#include "tokenize/vq_codebook.h"

namespace mm::tokenize {

class ImageTokenizer {
 public:
  // Reads a codebook file; throws mm::Error.
  static ImageTokenizer load(const std::string& path);
  static ImageTokenizer from_bytes(std::string_view bytes, const std::string& name);

  const std::string& id() const { return id_; }
  uint32_t vocab_size() const { return uint32_t(book_.codes); }
  int patch() const { return book_.patch; }
  int levels() const { return book_.levels; }
  const Codebook& codebook() const { return book_; }

  // The nearest-code search (tokenize/nearest.h): `lists` groups of codes, the `probes`
  // nearest searched; 0, 0: exact. The default trades a little PSNR for several times the
  // speed (mm-bench-image measures both).
  static constexpr int kDefaultLists = 64, kDefaultProbes = 6;
  void set_search(int lists, int probes);
  // Residual levels chosen together by a beam search keeping the `beam` best partial
  // codings of each patch (1: greedy, level by level). Several times the search for a
  // closer picture; kDefaultBeam is what images get.
  static constexpr int kDefaultBeam = 4;
  void set_beam(int beam) { beam_ = std::max(1, std::min(beam, 8)); }

  // Appends the codes of `frame` (sides multiples of patch()) using the first `levels`
  // levels (0: all). `threads` > 1 splits rows of patches between threads.
  void encode(const media::Image& frame, int levels, std::vector<uint32_t>& codes, int threads = 1) const;
  // For video: like encode(), but a patch whose pixels differ from the same patch of
  // `previous` (same size) by a mean squared error of at most `threshold` per sample
  // reuses its codes from `previous_codes` instead of searching: the still parts of a
  // frame cost almost nothing. Returns how many patches were reused.
  // `beam`: as set_beam(); 0: the tokenizer's (video passes 1: speed before the last
  // fraction of a dB).
  size_t encode_reusing(const media::Image& frame, int levels, std::vector<uint32_t>& codes, int threads,
                        const media::Image& previous, const uint32_t* previous_codes, double threshold,
                        int beam = 0) const;
  // The frame of patches_x x patches_y patches from their codes (levels per patch).
  // Throws mm::Error for a wrong count or a code beyond the vocabulary.
  media::Image decode(const uint32_t* codes, size_t count, int patches_x, int patches_y, int levels) const;

 private:
  ImageTokenizer() = default;
  // n vectors -> n x levels codes, by beam search.
  void encode_beam(const float* vectors, int n, int levels, int beam, std::vector<uint32_t>& out) const;
  Codebook book_;
  std::string id_;
  std::vector<std::shared_ptr<NearestSearch>> search_;  // one per level
  int beam_ = kDefaultBeam;
};

}  // namespace mm::tokenize
