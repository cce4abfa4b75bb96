// libFuzzer target for the vocabulary parsers (tokenizer.json and tiktoken rank files):
// any bytes end in an mm::Error or in a tokenizer whose encoding round-trips.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "tokenize/bpe.h"

namespace {

void exercise(const mm::tokenize::BpeTokenizer& tokenizer, const std::string& sample) {
  if (tokenizer.decode(tokenizer.encode(sample)) != sample) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  const std::string sample = "Hello, world!\n  int x = 42; // \xc3\xa9t\xc3\xa9 \xff";
  try {
    exercise(mm::tokenize::BpeTokenizer::from_huggingface_json(text), sample);
  } catch (const mm::Error&) {
  }
  try {
    exercise(mm::tokenize::BpeTokenizer::from_tiktoken(text, mm::tokenize::kQwenPattern), sample);
  } catch (const mm::Error&) {
  }
  return 0;
}
