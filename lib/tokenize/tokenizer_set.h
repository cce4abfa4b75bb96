// The tokenizers a model bundle names, one per modality, loaded on first use (a program
// that only renders text does not pay for the image codebook).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tokenize/bpe.h"

namespace mm::tokenize {

class TokenizerSet {
 public:
  // Reads `bundle_dir`/config.json's "tokenizers" section. Throws mm::Error.
  explicit TokenizerSet(std::string bundle_dir);

  bool has(const std::string& modality) const { return files_.count(modality) > 0; }
  // The text or code tokenizer. Throws mm::Error when the bundle has none for `modality`.
  const BpeTokenizer& bpe(const std::string& modality) const;
  const std::string& bundle_dir() const { return dir_; }

 private:
  struct Entry {
    std::string type, path;
  };
  std::string dir_;
  std::map<std::string, Entry> files_;
  mutable std::map<std::string, std::shared_ptr<BpeTokenizer>> bpe_;  // by path: text and code may share one
};

}  // namespace mm::tokenize
