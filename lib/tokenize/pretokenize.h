// Splits text into pieces with a regular expression before BPE, as GPT-2, tiktoken and
// Qwen do. PCRE2 rather than RE2: the real checkpoints' patterns use lookahead (\s+(?!\S)).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mm::tokenize {

// Qwen2's pattern, which Emu3 uses; our default vocabulary is fit with it.
extern const char* const kQwenPattern;
// GPT-2's, the default of a Hugging Face ByteLevel pre-tokenizer with use_regex.
extern const char* const kGpt2Pattern;

class Pretokenizer {
 public:
  // Throws mm::Error if the pattern does not compile.
  explicit Pretokenizer(const std::string& pattern);
  ~Pretokenizer();
  Pretokenizer(Pretokenizer&&) noexcept;
  Pretokenizer& operator=(Pretokenizer&&) noexcept;

  // Calls `piece` for consecutive pieces that together are exactly `text`: bytes the
  // pattern does not match (invalid UTF-8 among them) become pieces of their own, so that
  // any input, even binary, round-trips.
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace mm::tokenize
