// An 8-bit RGB picture: what decoders produce and tokenizers consume.
#pragma once

#include <cstdint>
#include <vector>

namespace mm::media {

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // interleaved R, G, B; row-major, no padding
};

}  // namespace mm::media
