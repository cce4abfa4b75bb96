// libFuzzer target for the audio tokenizer's parsers: the codebook file (tokenize/
// audio_codebook.h) and an audio segment's metadata. Any bytes end in an mm::Error or in a
// tokenizer that encodes and decodes a short sound to the exact length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "error.h"
#include "tokenize/audio_codebook.h"
#include "tokenize/audio_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    mm::tokenize::AudioCodebook book = mm::tokenize::AudioCodebook::parse(bytes);
    if (book.fft_size <= 4096 && book.bands() * size_t(book.shape_codes) <= (1 << 16)) {
      mm::tokenize::AudioTokenizer tokenizer(book);
      std::vector<float> sound(777);
      uint32_t x = 1;
      for (float& s : sound) s = float(int32_t(x = x * 1664525u + 1013904223u)) / 2147483648.0f;
      std::vector<uint32_t> codes;
      tokenizer.encode(sound.data(), sound.size(), codes);
      if (codes.size() != tokenizer.codes_for(sound.size())) std::abort();
      for (uint32_t c : codes)
        if (c >= tokenizer.vocab_size()) std::abort();
      std::vector<float> back;
      tokenizer.decode(codes.data(), codes.size(), sound.size(), back);
      if (back.size() != sound.size()) std::abort();
    }
  } catch (const mm::Error&) {
  }
  try {
    mm::tokenize::AudioSegmentShape shape = mm::tokenize::AudioTokenizer::parse_segment_shape(bytes);
    if (shape.samples == 0) std::abort();
  } catch (const mm::Error&) {
  }
  return 0;
}
