#include "tokenize/vq_codebook.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <xxhash.h>

#include "error.h"

namespace mm::tokenize {

namespace {

constexpr char kMagic[4] = {'M', 'M', 'V', 'Q'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeader = 4 + 6 * 4;
constexpr float kUnit = 16;  // stored values are in 1/16

const float kY = float(1 / std::sqrt(3.0)), kC1 = float(1 / std::sqrt(2.0)), kC2 = float(1 / std::sqrt(6.0));

uint32_t read_u32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

}  // namespace

Codebook parse_codebook(std::string_view bytes, const std::string& name) {
  auto fail = [&](const std::string& what) { throw Error(name + ": not a VQ codebook: " + what); };
  if (bytes.size() < kHeader) fail("shorter than its header");
  auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (std::memcmp(p, kMagic, 4) != 0) fail("no MMVQ signature");
  if (read_u32(p + 4) != kVersion) fail("version " + std::to_string(read_u32(p + 4)) + " (this program reads 1)");
  Codebook book;
  uint32_t patch = read_u32(p + 8), chroma = read_u32(p + 12), levels = read_u32(p + 16), codes = read_u32(p + 20),
           dims = read_u32(p + 24);
  if (patch != 4 && patch != 8 && patch != 16) fail("patch side " + std::to_string(patch) + " (4, 8 or 16)");
  if (chroma != 1 && chroma != 2 && chroma != 4) fail("chroma block " + std::to_string(chroma) + " (1, 2 or 4)");
  if (chroma > patch) fail("chroma block larger than the patch");
  if (levels < 1 || levels > 8) fail(std::to_string(levels) + " levels (1 to 8)");
  if (codes < 2 || codes > 65536) fail(std::to_string(codes) + " codes per level (2 to 65536)");
  book.patch = int(patch);
  book.chroma_block = int(chroma);
  book.levels = int(levels);
  book.codes = int(codes);
  book.dims = Codebook::dims_for(book.patch, book.chroma_block);
  if (dims != uint32_t(book.dims)) fail("dims " + std::to_string(dims) + ", expected " + std::to_string(book.dims));
  size_t count = size_t(levels) * codes * dims;
  if (bytes.size() != kHeader + count * 2)
    fail(std::to_string(bytes.size()) + " bytes, expected " + std::to_string(kHeader + count * 2));
  book.centroids.resize(count);
  const uint8_t* v = p + kHeader;
  for (size_t i = 0; i < count; ++i) book.centroids[i] = float(int16_t(uint16_t(v[2 * i] | v[2 * i + 1] << 8))) / kUnit;
  return book;
}

std::vector<uint8_t> serialize_codebook(const Codebook& book) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  put_u32(out, kVersion);
  put_u32(out, uint32_t(book.patch));
  put_u32(out, uint32_t(book.chroma_block));
  put_u32(out, uint32_t(book.levels));
  put_u32(out, uint32_t(book.codes));
  put_u32(out, uint32_t(book.dims));
  out.reserve(out.size() + book.centroids.size() * 2);
  for (float value : book.centroids) {
    long q = std::lround(value * kUnit);
    uint16_t s = uint16_t(int16_t(std::clamp(q, -32768L, 32767L)));
    out.push_back(uint8_t(s));
    out.push_back(uint8_t(s >> 8));
  }
  return out;
}

std::string codebook_id(std::string_view serialized) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(serialized.data(), serialized.size())));
  return std::string("vq-") + hex;
}

void patch_to_vector(const uint8_t* rgb, int width, int px, int py, int patch, int chroma_block, float* vector) {
  int c = patch / chroma_block;
  float* y = vector;
  float* c1 = vector + patch * patch;
  float* c2 = c1 + c * c;
  std::fill(c1, c1 + 2 * c * c, 0.f);
  const float scale = 1.f / float(chroma_block);  // block sum / S = block mean * S
  for (int dy = 0; dy < patch; ++dy) {
    const uint8_t* row = rgb + (size_t(py + dy) * width + px) * 3;
    for (int dx = 0; dx < patch; ++dx) {
      float r = row[dx * 3], g = row[dx * 3 + 1], b = row[dx * 3 + 2];
      y[dy * patch + dx] = (r + g + b - 384) * kY;  // centred on grey: smaller dot products, better float precision
      int block = (dy / chroma_block) * c + dx / chroma_block;
      c1[block] += (r - b) * kC1 * scale;
      c2[block] += (r - 2 * g + b) * kC2 * scale;
    }
  }
}

void vector_to_patch(const float* vector, int patch, int chroma_block, uint8_t* rgb, int width, int px, int py) {
  int c = patch / chroma_block;
  const float* y = vector;
  const float* c1 = vector + patch * patch;
  const float* c2 = c1 + c * c;
  const float scale = 1.f / float(chroma_block);  // back from mean * S to the mean
  for (int dy = 0; dy < patch; ++dy) {
    uint8_t* row = rgb + (size_t(py + dy) * width + px) * 3;
    for (int dx = 0; dx < patch; ++dx) {
      int block = (dy / chroma_block) * c + dx / chroma_block;
      float l = y[dy * patch + dx] * kY + 128, a = c1[block] * scale * kC1, b = c2[block] * scale * kC2;
      float rgb3[3] = {l + a + b, l - 2 * b, l - a + b};
      for (int k = 0; k < 3; ++k) row[dx * 3 + k] = uint8_t(std::clamp(std::lround(rgb3[k]), 0L, 255L));
    }
  }
}

}  // namespace mm::tokenize
