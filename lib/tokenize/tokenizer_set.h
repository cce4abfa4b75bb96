// The tokenizers a model bundle names, one per modality, loaded on first use (a program
// that only renders text does not pay for the image codebook).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tokenize/audio_tokenizer.h"
#include "tokenize/bpe.h"
#include "tokenize/image_tokenizer.h"

namespace mm::tokenize {

class TokenizerSet {
 public:
  // Reads `bundle_dir`/config.json's "tokenizers" section. Throws mm::Error.
  explicit TokenizerSet(std::string bundle_dir);

  bool has(const std::string& modality) const { return files_.count(modality) > 0; }
  // The text or code tokenizer. Throws mm::Error when the bundle has none for `modality`.
  const BpeTokenizer& bpe(const std::string& modality) const;
  // The image or video tokenizer (type "vq"). Throws mm::Error when the bundle has none.
  const ImageTokenizer& vq(const std::string& modality) const;
  // The audio tokenizer (type "audio-env"). Throws mm::Error when the bundle has none.
  const AudioTokenizer& audio() const;
  const std::string& bundle_dir() const { return dir_; }

 private:
  struct Entry {
    std::string type, path;
  };
  std::string dir_;
  std::map<std::string, Entry> files_;
  mutable std::shared_ptr<AudioTokenizer> audio_;
  mutable std::map<std::string, std::shared_ptr<BpeTokenizer>> bpe_;  // by path: text and code may share one
  mutable std::map<std::string, std::shared_ptr<ImageTokenizer>> vq_;  // by path: image and video share one
};

}  // namespace mm::tokenize
