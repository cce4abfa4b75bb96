// Fits a byte-level BPE vocabulary on a corpus: deterministic, the same corpus and options
// give the same merges on any machine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenize/bpe.h"

namespace mm::tokenize {

struct BpeFitOptions {
  size_t vocab_size = 32000;  // bytes + merges + specials
  uint64_t min_frequency = 2;  // a pair seen fewer times is not merged
  std::string pattern = kQwenPattern;
  std::vector<std::string> specials;
};

class BpeFitter {
 public:
  explicit BpeFitter(BpeFitOptions options);
  // Counts the pieces of one document; call for every file of the corpus.
  void add(std::string_view text);
  uint64_t pieces() const { return pieces_; }
  // `progress` gets the number of merges made so far.
  BpeTokenizer fit(const std::function<void(size_t merges, size_t target)>& progress = {}) const;

 private:
  BpeFitOptions options_;
  Pretokenizer pretokenizer_;
  std::unordered_map<std::string, uint64_t> counts_;
  uint64_t pieces_ = 0;
};

}  // namespace mm::tokenize
