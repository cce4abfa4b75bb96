// libFuzzer target for the VQ codebook reader: any bytes end in an mm::Error or in a
// tokenizer that encodes a picture into codes within its vocabulary and decodes them back
// into a picture of the same size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "error.h"
#include "media/image.h"
#include "tokenize/image_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto tokenizer = mm::tokenize::ImageTokenizer::from_bytes(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    const int side = 2 * tokenizer.patch();
    mm::media::Image picture;
    picture.width = picture.height = side;
    picture.rgb.resize(size_t(side) * side * 3);
    for (size_t i = 0; i < picture.rgb.size(); ++i) picture.rgb[i] = uint8_t(i * 37 + (i >> 5));
    std::vector<uint32_t> codes;
    tokenizer.encode(picture, 0, codes);
    if (codes.size() != size_t(4 * tokenizer.levels())) std::abort();
    for (uint32_t c : codes)
      if (c >= tokenizer.vocab_size()) std::abort();
    auto back = tokenizer.decode(codes.data(), codes.size(), 2, 2, tokenizer.levels());
    if (back.width != side || back.rgb.size() != picture.rgb.size()) std::abort();
  } catch (const mm::Error&) {
  }
  return 0;
}
