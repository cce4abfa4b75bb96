// Token codes packed little-endian at the width their tokenizer needs (1 to 4 bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mm::stream {

// Appends `count` codes to `out`, each in `width` bytes.
void pack_codes(const uint32_t* codes, size_t count, unsigned width, std::vector<uint8_t>& out);

// Decodes `count` codes of `width` bytes into `out`; returns the largest code.
uint32_t unpack_codes(const uint8_t* packed, size_t count, unsigned width, uint32_t* out);

}  // namespace mm::stream
