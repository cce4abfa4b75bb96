// What mm-bundle does, as library calls: describe a bundle, make one with random weights
// from a config, verify one. Torch-free.
#pragma once

#include <cstdint>
#include <string>

namespace mm::model {

struct InitOptions {
  std::string dtype = "f32";  // f32 | bf16 | f16
  uint64_t seed = 0;
  unsigned shards = 1;        // > 1: model-0000N-of-0000M.safetensors and an index
  // The embedding rows of every VQ tokenizer's codes start from what each code looks like
  // (its level-0 codebook patch, luma and chroma each scaled to unit variance over the
  // codes, sent through a seeded random projection, at the noise's scale) instead of
  // noise: codes of the same colour and shape start near each other, so a model need not
  // learn each code alone.
  bool embed_codebook = false;
  // A bundle whose tokenizers, their files and its id layout the new one takes, so that the
  // config needs only its name and backbone and the two read the same streams alike.
  std::string tokenizers_from = "";
};

// Reads the config at `config_path` (a bundle config; "layout" may be omitted, then it is
// packed from the tokenizers' vocabulary sizes, and a missing backbone "vocab_size" is the
// layout's), writes `dir`/config.json and the weights, and copies the tokenizer files the
// config names (relative to the config's directory, or to InitOptions::tokenizers_from).
// Weights are drawn from a seeded normal (std 0.02; norm weights 1 + N(0, 0.1), biases
// N(0, 0.1) so that tests see them), but see InitOptions::embed_codebook.
void init_bundle(const std::string& config_path, const std::string& dir, const InitOptions& options);

// A description of the bundle: text for people, or JSON.
std::string bundle_info(const std::string& dir, bool json);

// Checks everything (config, every tensor's presence, shape and dtype, the files' extent
// and checksum when they carry one, finite values, the layout against the vocabulary).
// Returns a one-line summary; throws mm::Error naming the first fault.
std::string verify_bundle(const std::string& dir, bool json);

}  // namespace mm::model
