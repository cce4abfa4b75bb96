// SplitMix64 (Steele, Lea and Flood, 2014): the one seeded generator of the project. The
// world's scenes, the codebook fits, mm-train's data order and the audio decoder's noise
// must be the same on every machine, and the standard library's distributions differ from
// one implementation to the next, so each draws its bits here and reduces them with its own
// integer arithmetic.
#pragma once

#include <cstdint>

namespace mm {

// Advances `state` and returns the next 64 bits.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace mm
