// Byte-level BPE: text and code <-> codes. Loads Hugging Face tokenizer.json files (BPE
// with a byte-level pre-tokenizer) and tiktoken rank files, so the vocabularies of real
// unified checkpoints (Emu3: tiktoken ranks with Qwen's pattern) work, and ours too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenize/pretokenize.h"

namespace mm::tokenize {

class BpeTokenizer {
 public:
  struct Merge {
    uint32_t left, right;
    uint32_t priority;  // lower merges first; equal priorities merge leftmost first
  };

  // A vocabulary: the 256 single bytes must be tokens; each merge names two tokens whose
  // concatenation is a token. `specials` are extra tokens (ids after the others) that text
  // never produces: the model's layout inserts them.
  BpeTokenizer(std::vector<std::string> tokens, std::vector<Merge> merges, std::vector<std::string> specials,
               std::string pattern);

  // Reads a tokenizer.json or a tiktoken file (told apart by content). Throws mm::Error.
  static BpeTokenizer load(const std::string& path, const std::string& tiktoken_pattern = kQwenPattern);
  static BpeTokenizer from_huggingface_json(const std::string& json);
  static BpeTokenizer from_tiktoken(const std::string& ranks, const std::string& pattern);

  // Appends the codes of `text`. Any bytes, even invalid UTF-8, round-trip through decode.
  // Not thread-safe (a cache of frequent pieces).
  void encode(std::string_view text, std::vector<uint32_t>& codes) const;
  std::vector<uint32_t> encode(std::string_view text) const;
  // Where a long text can be cut so that encoding the parts gives the codes of the whole:
  // just after the last line break that a non-space byte follows, or 0 if there is none.
  // Holds for patterns whose pieces end at a run of line breaks (GPT-2's, Qwen's, tiktoken's).
  static size_t chunk_boundary(std::string_view text);
  // Throws mm::Error for a code outside the vocabulary.
  std::string decode(const uint32_t* codes, size_t count) const;
  std::string decode(const std::vector<uint32_t>& codes) const { return decode(codes.data(), codes.size()); }

  uint64_t vocab_size() const { return tokens_.size() + specials_.size(); }
  // "bpe-" and a hash of the vocabulary, merges and pattern: the same id means the same codes.
  const std::string& id() const { return id_; }
  const std::string& token(uint32_t code) const;
  size_t merge_count() const { return merges_.size(); }

  // The Hugging Face tokenizer.json form (the one mm-fit-bpe writes).
  std::string to_huggingface_json() const;

 private:
  struct PairTable;
  static BpeTokenizer parse_huggingface_json(const std::string& json);
  void merge_piece(std::string_view piece, std::vector<uint32_t>& codes) const;

  std::vector<std::string> tokens_;
  std::vector<std::string> specials_;
  std::vector<Merge> merges_;
  Pretokenizer pretokenizer_;
  std::shared_ptr<PairTable> pairs_;
  uint32_t byte_token_[256];
  std::string id_;
  mutable std::unordered_map<std::string, std::vector<uint32_t>> cache_;
};

// GPT-2's reversible map between bytes and printable characters, which tokenizer.json
// uses to spell byte-level tokens.
std::string bytes_to_gpt2_unicode(std::string_view bytes);
// Throws mm::Error for a character outside the map.
std::string gpt2_unicode_to_bytes(std::string_view text);

}  // namespace mm::tokenize
