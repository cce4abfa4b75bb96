#include <doctest/doctest.h>

#include <random>

#include "stream/codes.h"
#include "stream/format.h"

using namespace mm::stream;

TEST_CASE("code width follows the vocabulary size") {
  CHECK(code_width(1) == 1);
  CHECK(code_width(256) == 1);
  CHECK(code_width(257) == 2);
  CHECK(code_width(65536) == 2);
  CHECK(code_width(65537) == 3);
  CHECK(code_width(1u << 24) == 3);
  CHECK(code_width((1u << 24) + 1) == 4);
  CHECK(code_width(1ull << 32) == 4);
}

TEST_CASE("codes pack little-endian and unpack to the same values at every width") {
  std::mt19937_64 rng(7);
  for (unsigned width = 1; width <= 4; ++width) {
    uint64_t limit = width == 4 ? (1ull << 32) : (1ull << (8 * width));
    std::vector<uint32_t> codes(1000);
    for (auto& c : codes) c = uint32_t(rng() % limit);
    codes[3] = uint32_t(limit - 1);
    std::vector<uint8_t> packed;
    pack_codes(codes.data(), codes.size(), width, packed);
    REQUIRE(packed.size() == codes.size() * width);
    std::vector<uint32_t> back(codes.size());
    CHECK(unpack_codes(packed.data(), codes.size(), width, back.data()) == limit - 1);
    CHECK(back == codes);
  }
  std::vector<uint8_t> packed;
  uint32_t code = 0x010203;
  pack_codes(&code, 1, 3, packed);
  CHECK(packed == std::vector<uint8_t>{0x03, 0x02, 0x01});
}
