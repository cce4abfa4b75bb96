#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenize/pretokenize.h"

#include <pcre2.h>

#include "error.h"

namespace mm::tokenize {

const char* const kQwenPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct Pretokenizer::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

Pretokenizer::Pretokenizer(const std::string& pattern) : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // MATCH_INVALID_UTF: invalid sequences simply never match, instead of failing the call.
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
  if (!compiled_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw Error("pre-tokenizer pattern, at character " + std::to_string(offset) + ": " +
                reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);  // an interpreter fallback if JIT is unavailable
}

Pretokenizer::~Pretokenizer() = default;
Pretokenizer::Pretokenizer(Pretokenizer&&) noexcept = default;
Pretokenizer& Pretokenizer::operator=(Pretokenizer&&) noexcept = default;

void Pretokenizer::split(std::string_view text, const std::function<void(std::string_view)>& piece) const {
  // Match data is per call so that one pretokenizer can serve several threads.
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
  if (!match) throw Error("out of memory");
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t position = 0;
  try {
    while (position < text.size()) {
      int rc = pcre2_match(compiled_->code, subject, text.size(), position, 0, match, nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) {
        piece(text.substr(position));
        break;
      }
      if (rc < 0) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(rc, message, sizeof message);
        throw Error(std::string("pre-tokenizer: ") + reinterpret_cast<const char*>(message));
      }
      PCRE2_SIZE* range = pcre2_get_ovector_pointer(match);
      size_t start = range[0], end = range[1];
      if (start > position) piece(text.substr(position, start - position));
      if (end == start) {  // an empty match: take one byte so that we always advance
        piece(text.substr(start, 1));
        end = start + 1;
      } else {
        piece(text.substr(start, end - start));
      }
      position = end;
    }
  } catch (...) {
    pcre2_match_data_free(match);
    throw;
  }
  pcre2_match_data_free(match);
}

}  // namespace mm::tokenize
