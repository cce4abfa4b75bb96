#include "stream/codes.h"

#include <algorithm>
#include <cstring>

namespace mm::stream {

void pack_codes(const uint32_t* codes, size_t count, unsigned width, std::vector<uint8_t>& out) {
  size_t start = out.size();
  out.resize(start + count * width);
  uint8_t* p = out.data() + start;
  switch (width) {
    case 1:
      for (size_t i = 0; i < count; ++i) p[i] = uint8_t(codes[i]);
      break;
    case 2:
      for (size_t i = 0; i < count; ++i) {
        p[2 * i] = uint8_t(codes[i]);
        p[2 * i + 1] = uint8_t(codes[i] >> 8);
      }
      break;
    default:
      for (size_t i = 0; i < count; ++i)
        for (unsigned b = 0; b < width; ++b) p[i * width + b] = uint8_t(codes[i] >> (8 * b));
  }
}

uint32_t unpack_codes(const uint8_t* p, size_t count, unsigned width, uint32_t* out) {
  uint32_t largest = 0;
  switch (width) {
    case 1:
      for (size_t i = 0; i < count; ++i) largest = std::max<uint32_t>(largest, out[i] = p[i]);
      break;
    case 2:
      for (size_t i = 0; i < count; ++i)
        largest = std::max<uint32_t>(largest, out[i] = uint32_t(p[2 * i]) | uint32_t(p[2 * i + 1]) << 8);
      break;
    default:
      for (size_t i = 0; i < count; ++i) {
        uint32_t v = 0;
        for (unsigned b = 0; b < width; ++b) v |= uint32_t(p[i * width + b]) << (8 * b);
        largest = std::max(largest, out[i] = v);
      }
  }
  return largest;
}

}  // namespace mm::stream
