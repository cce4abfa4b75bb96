#include "tokenize/tokenizer_set.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::tokenize {

TokenizerSet::TokenizerSet(std::string bundle_dir) : dir_(std::move(bundle_dir)) {
  std::string path = dir_ + "/config.json";
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open (is " + dir_ + " a model bundle?)");
  nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
  if (config.is_discarded() || !config.is_object()) throw Error(path + ": not valid JSON");
  auto tokenizers = config.find("tokenizers");
  if (tokenizers == config.end() || !tokenizers->is_object()) throw Error(path + ": no \"tokenizers\" object");
  for (auto it = tokenizers->begin(); it != tokenizers->end(); ++it) {
    if (!it->is_object() || !it->contains("type") || !it->contains("file") || !(*it)["file"].is_string() ||
        !(*it)["type"].is_string())
      throw Error(path + ": tokenizers." + it.key() + " needs \"type\" and \"file\"");
    files_[it.key()] = {(*it)["type"].get<std::string>(), dir_ + "/" + (*it)["file"].get<std::string>()};
  }
}

const BpeTokenizer& TokenizerSet::bpe(const std::string& modality) const {
  auto entry = files_.find(modality);
  if (entry == files_.end()) throw Error("the model bundle " + dir_ + " has no tokenizer for " + modality);
  if (entry->second.type != "bpe")
    throw Error("the " + modality + " tokenizer of " + dir_ + " is of type " + entry->second.type + ", not bpe");
  auto& loaded = bpe_[entry->second.path];
  if (!loaded) loaded = std::make_shared<BpeTokenizer>(BpeTokenizer::load(entry->second.path));
  return *loaded;
}

const ImageTokenizer& TokenizerSet::vq(const std::string& modality) const {
  auto entry = files_.find(modality);
  if (entry == files_.end()) throw Error("the model bundle " + dir_ + " has no tokenizer for " + modality);
  if (entry->second.type != "vq")
    throw Error("the " + modality + " tokenizer of " + dir_ + " is of type " + entry->second.type + ", not vq");
  auto& loaded = vq_[entry->second.path];
  if (!loaded) loaded = std::make_shared<ImageTokenizer>(ImageTokenizer::load(entry->second.path));
  return *loaded;
}

const AudioTokenizer& TokenizerSet::audio() const {
  auto entry = files_.find("audio");
  if (entry == files_.end()) throw Error("the model bundle " + dir_ + " has no tokenizer for audio");
  if (entry->second.type != "audio-env")
    throw Error("the audio tokenizer of " + dir_ + " is of type " + entry->second.type + ", not audio-env");
  if (!audio_) audio_ = std::make_shared<AudioTokenizer>(AudioTokenizer::load(entry->second.path));
  return *audio_;
}

}  // namespace mm::tokenize
