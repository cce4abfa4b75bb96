// The image tokenizer's codebook: residual vector quantisation of patches in an
// orthonormal luma/chroma space, and the file that holds it.
//
// A patch of P x P RGB pixels becomes one vector: the P*P luma values Y = (R+G+B-384)/sqrt(3),
// then the two chroma planes C1 = (R-B)/sqrt(2) and C2 = (R-2G+B)/sqrt(6) averaged over
// S x S blocks (stored as block mean * S, an orthonormal projection). Because the colour
// transform and the projection are orthonormal, squared error in this space is squared
// error in RGB (plus the fixed loss of the averaged chroma detail), so k-means here
// minimises exactly what PSNR measures, and chroma costs a third of the dimensions.
// Level 0 quantises the vector; each further level quantises what the levels before left.
//
// File (little-endian): "MMVQ" u32 version(1) u32 patch u32 chroma_block u32 levels
// u32 codes_per_level u32 dims, then levels*codes*dims int16 values in 1/16 units.
// The tokenizer id is "vq-" and 16 hex digits of the XXH3 hash of the file's bytes, so a
// stream names exactly the codebook that made it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mm::tokenize {

struct Codebook {
  int patch = 8;          // pixels per patch side
  int chroma_block = 2;   // chroma is averaged over blocks of this side
  int levels = 1;         // residual levels
  int codes = 0;          // codes per level: the vocabulary of every level
  int dims = 0;           // patch*patch + 2*(patch/chroma_block)^2
  std::vector<float> centroids;  // [levels][codes][dims]

  const float* centroid(int level, int code) const { return &centroids[(size_t(level) * codes + code) * dims]; }
  static int dims_for(int patch, int chroma_block) {
    int c = patch / chroma_block;
    return patch * patch + 2 * c * c;
  }
};

// Throws mm::Error naming `name` and the fault for anything malformed.
Codebook parse_codebook(std::string_view bytes, const std::string& name);
std::vector<uint8_t> serialize_codebook(const Codebook& codebook);
// "vq-" + 16 hex digits of XXH3-64 over the serialized bytes.
std::string codebook_id(std::string_view serialized);

// A patch at (px, py) (in pixels) of an RGB image `width` pixels wide <-> its vector.
void patch_to_vector(const uint8_t* rgb, int width, int px, int py, int patch, int chroma_block, float* vector);
// Writes the patch that `vector` describes into the image (rounded, clamped to 0..255).
void vector_to_patch(const float* vector, int patch, int chroma_block, uint8_t* rgb, int width, int px, int py);

}  // namespace mm::tokenize
