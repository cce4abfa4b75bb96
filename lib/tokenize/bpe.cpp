#include "tokenize/bpe.h"

#include <algorithm>
#include <fstream>
#include <queue>
#include <sstream>

#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "error.h"

namespace mm::tokenize {

namespace {

using nlohmann::json;

constexpr uint32_t kNone = UINT32_MAX;
constexpr size_t kCachedPieceBytes = 48;
constexpr size_t kCacheEntries = 1 << 18;
constexpr size_t kNaiveMergeLimit = 24;  // longer pieces use the heap, O(n log n)

// GPT-2's byte <-> character map: printable bytes stand for themselves, the others are
// shifted to code points from U+0100 up, in byte order.
struct Gpt2Map {
  uint32_t byte_to_char[256];
  std::unordered_map<uint32_t, uint8_t> char_to_byte;
  Gpt2Map() {
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
      byte_to_char[b] = printable ? b : next++;
      char_to_byte[byte_to_char[b]] = uint8_t(b);
    }
  }
};

const Gpt2Map& gpt2_map() {
  static const Gpt2Map map;
  return map;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xc0 | (c >> 6));
    out += char(0x80 | (c & 0x3f));
  } else {
    out += char(0xe0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3f));
    out += char(0x80 | (c & 0x3f));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::stringstream s;
  s << in.rdbuf();
  if (in.bad()) throw Error(path + ": read error");
  return s.str();
}

std::string base64_decode(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    size_t v = alphabet.find(c);
    if (v == std::string::npos) throw Error("bad base64 character");
    buffer = (buffer << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((buffer >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

std::string bytes_to_gpt2_unicode(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) append_utf8(out, gpt2_map().byte_to_char[b]);
  return out;
}

std::string gpt2_unicode_to_bytes(std::string_view text) {
  std::string out;
  const auto& map = gpt2_map().char_to_byte;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    uint32_t cp;
    size_t len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c >> 5) == 6 && i + 1 < text.size()) { cp = ((c & 0x1f) << 6) | (text[i + 1] & 0x3f); len = 2; }
    else if ((c >> 4) == 14 && i + 2 < text.size()) {
      cp = ((c & 0x0f) << 12) | ((text[i + 1] & 0x3f) << 6) | (text[i + 2] & 0x3f);
      len = 3;
    } else {
      throw Error("token \"" + std::string(text) + "\" is not in GPT-2's byte-level alphabet");
    }
    auto it = map.find(cp);
    if (it == map.end()) throw Error("token \"" + std::string(text) + "\" is not in GPT-2's byte-level alphabet");
    out += char(it->second);
    i += len;
  }
  return out;
}

// Open addressing from a pair of codes to (priority, merged code): the hot lookup of BPE.
struct BpeTokenizer::PairTable {
  struct Slot {
    uint64_t key = UINT64_MAX;
    uint32_t priority = 0, merged = 0;
  };
  std::vector<Slot> slots;
  uint64_t mask = 0;

  explicit PairTable(size_t count) {
    size_t size = 16;
    while (size < count * 2) size <<= 1;
    slots.resize(size);
    mask = size - 1;
  }
  static uint64_t hash(uint64_t key) { return (key * 0x9e3779b97f4a7c15ull) >> 17; }
  void insert(uint32_t a, uint32_t b, uint32_t priority, uint32_t merged) {
    uint64_t key = uint64_t(a) << 32 | b;
    for (uint64_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == key) {
        if (priority < slots[i].priority) slots[i] = {key, priority, merged};
        return;
      }
      if (slots[i].key == UINT64_MAX) {
        slots[i] = {key, priority, merged};
        return;
      }
    }
  }
  const Slot* find(uint32_t a, uint32_t b) const {
    uint64_t key = uint64_t(a) << 32 | b;
    for (uint64_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == UINT64_MAX) return nullptr;
    }
  }
};

BpeTokenizer::BpeTokenizer(std::vector<std::string> tokens, std::vector<Merge> merges,
                           std::vector<std::string> specials, std::string pattern)
    : tokens_(std::move(tokens)), specials_(std::move(specials)), merges_(std::move(merges)),
      pretokenizer_(pattern) {
  if (tokens_.size() + specials_.size() > (uint64_t(1) << 32)) throw Error("vocabulary larger than 2^32");
  std::unordered_map<std::string, uint32_t> ids;
  ids.reserve(tokens_.size());
  for (uint32_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].empty()) throw Error("vocabulary: token " + std::to_string(i) + " is empty");
    if (!ids.emplace(tokens_[i], i).second) throw Error("vocabulary: token " + std::to_string(i) + " repeats another");
  }
  for (int b = 0; b < 256; ++b) {
    auto it = ids.find(std::string(1, char(b)));
    if (it == ids.end()) throw Error("vocabulary lacks the single byte " + std::to_string(b) + ": not byte-level BPE");
    byte_token_[b] = it->second;
  }
  pairs_ = std::make_shared<PairTable>(merges_.size());
  for (const Merge& m : merges_) {
    if (m.left >= tokens_.size() || m.right >= tokens_.size()) throw Error("merge of an unknown token");
    auto it = ids.find(tokens_[m.left] + tokens_[m.right]);
    if (it == ids.end())
      throw Error("merge \"" + tokens_[m.left] + "\" + \"" + tokens_[m.right] + "\" makes no token of the vocabulary");
    pairs_->insert(m.left, m.right, m.priority, it->second);
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, pattern.data(), pattern.size() + 1);
  for (const auto& t : tokens_) {
    uint32_t size = uint32_t(t.size());
    XXH3_64bits_update(state, &size, sizeof size);
    XXH3_64bits_update(state, t.data(), t.size());
  }
  for (const auto& t : specials_) XXH3_64bits_update(state, t.data(), t.size() + 1);
  for (const Merge& m : merges_) XXH3_64bits_update(state, &m, sizeof m);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(state)));
  XXH3_freeState(state);
  id_ = "bpe-" + std::string(hex, 12);
}

const std::string& BpeTokenizer::token(uint32_t code) const {
  if (code < tokens_.size()) return tokens_[code];
  if (code - tokens_.size() < specials_.size()) return specials_[code - tokens_.size()];
  throw Error("code " + std::to_string(code) + " is outside the vocabulary of " + std::to_string(vocab_size()));
}

void BpeTokenizer::merge_piece(std::string_view piece, std::vector<uint32_t>& codes) const {
  if (piece.size() == 1) {
    codes.push_back(byte_token_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  bool cacheable = piece.size() <= kCachedPieceBytes;
  if (cacheable) {
    auto hit = cache_.find(std::string(piece));
    if (hit != cache_.end()) {
      codes.insert(codes.end(), hit->second.begin(), hit->second.end());
      return;
    }
  }
  std::vector<uint32_t> symbols(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) symbols[i] = byte_token_[static_cast<unsigned char>(piece[i])];

  if (symbols.size() <= kNaiveMergeLimit) {
    for (;;) {
      uint32_t best = UINT32_MAX, merged = 0;
      size_t at = 0;
      for (size_t i = 0; i + 1 < symbols.size(); ++i)
        if (const auto* slot = pairs_->find(symbols[i], symbols[i + 1]); slot && slot->priority < best) {
          best = slot->priority;
          merged = slot->merged;
          at = i;
        }
      if (best == UINT32_MAX) break;
      symbols[at] = merged;
      symbols.erase(symbols.begin() + at + 1);
    }
  } else {
    // A doubly linked list of symbols and a heap of candidate pairs, (priority, position):
    // the same order as the loop above, in O(n log n) for pieces of any length.
    size_t n = symbols.size();
    std::vector<uint32_t> prev(n), next(n);
    for (size_t i = 0; i < n; ++i) {
      prev[i] = i == 0 ? kNone : uint32_t(i - 1);
      next[i] = i + 1 == n ? kNone : uint32_t(i + 1);
    }
    struct Candidate {
      uint32_t priority, left, left_code, right_code;
      bool operator>(const Candidate& o) const {
        return priority != o.priority ? priority > o.priority : left > o.left;
      }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
    auto consider = [&](uint32_t left) {
      if (left == kNone || next[left] == kNone) return;
      if (const auto* slot = pairs_->find(symbols[left], symbols[next[left]]))
        heap.push({slot->priority, left, symbols[left], symbols[next[left]]});
    };
    for (uint32_t i = 0; i + 1 < n; ++i) consider(i);
    while (!heap.empty()) {
      Candidate c = heap.top();
      heap.pop();
      uint32_t right = next[c.left];
      if (symbols[c.left] != c.left_code || right == kNone || symbols[right] != c.right_code ||
          symbols[c.left] == kNone)
        continue;  // stale: one side was merged since
      symbols[c.left] = pairs_->find(c.left_code, c.right_code)->merged;
      symbols[right] = kNone;
      next[c.left] = next[right];
      if (next[right] != kNone) prev[next[right]] = c.left;
      consider(prev[c.left]);
      consider(c.left);
    }
    size_t kept = 0;
    for (uint32_t i = 0; i != kNone; i = next[i]) symbols[kept++] = symbols[i];
    symbols.resize(kept);
  }
  codes.insert(codes.end(), symbols.begin(), symbols.end());
  if (cacheable) {
    if (cache_.size() >= kCacheEntries) cache_.clear();
    cache_.emplace(std::string(piece), std::move(symbols));
  }
}

void BpeTokenizer::encode(std::string_view text, std::vector<uint32_t>& codes) const {
  pretokenizer_.split(text, [&](std::string_view piece) { merge_piece(piece, codes); });
}

std::vector<uint32_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<uint32_t> codes;
  encode(text, codes);
  return codes;
}

size_t BpeTokenizer::chunk_boundary(std::string_view text) {
  for (size_t i = text.size(); i-- > 1;) {
    unsigned char c = text[i];
    if (text[i - 1] == '\n' && c > ' ' && c != 0x7f) return i;
  }
  return 0;
}

std::string BpeTokenizer::decode(const uint32_t* codes, size_t count) const {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += token(codes[i]);
  return out;
}

BpeTokenizer BpeTokenizer::load(const std::string& path, const std::string& tiktoken_pattern) {
  std::string content = read_file(path);
  try {
    size_t first = content.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && content[first] == '{') return from_huggingface_json(content);
    return from_tiktoken(content, tiktoken_pattern);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

BpeTokenizer BpeTokenizer::from_huggingface_json(const std::string& text) {
  // Fields of the wrong JSON type surface as nlohmann exceptions: one clear error instead.
  try {
    return parse_huggingface_json(text);
  } catch (const json::exception& e) {
    throw Error(std::string("malformed tokenizer.json: ") + e.what());
  }
}

BpeTokenizer BpeTokenizer::parse_huggingface_json(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw Error("not valid JSON");
  const json& model = doc.value("model", json::object());
  if (model.value("type", std::string("BPE")) != "BPE" || !model.contains("vocab"))
    throw Error("not a BPE tokenizer.json (model.type must be BPE)");
  const json& vocab = model["vocab"];
  if (!vocab.is_object()) throw Error("model.vocab is not an object");
  std::vector<std::string> tokens(vocab.size());
  std::vector<bool> seen(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() >= tokens.size() || seen[it->get<uint64_t>()])
      throw Error("model.vocab ids must be 0 to " + std::to_string(tokens.size() - 1) + ", each once");
    seen[it->get<uint64_t>()] = true;
    tokens[it->get<uint64_t>()] = gpt2_unicode_to_bytes(it.key());
  }
  std::unordered_map<std::string, uint32_t> ids;
  for (uint32_t i = 0; i < tokens.size(); ++i) ids.emplace(bytes_to_gpt2_unicode(tokens[i]), i);
  std::vector<Merge> merges;
  const json& list = model.value("merges", json::array());
  for (const json& m : list) {
    std::string left, right;
    if (m.is_string()) {
      std::string s = m.get<std::string>();
      size_t space = s.find(' ');
      if (space == std::string::npos) throw Error("merge \"" + s + "\" is not two tokens");
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      throw Error("a merge is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto l = ids.find(left), r = ids.find(right);
    if (l == ids.end() || r == ids.end()) throw Error("merge \"" + left + " " + right + "\" names an unknown token");
    merges.push_back({l->second, r->second, uint32_t(merges.size())});
  }
  std::vector<std::string> specials;
  for (const json& added : doc.value("added_tokens", json::array())) {
    uint64_t id = added.value("id", uint64_t(0));
    if (id < tokens.size()) continue;  // already a token of the model
    if (id != tokens.size() + specials.size()) throw Error("added_tokens ids must follow the vocabulary without gaps");
    specials.push_back(added.value("content", std::string()));
  }

  std::string pattern;
  auto byte_level = [&](const json& p) {
    if (p.value("add_prefix_space", false))
      throw Error("pre_tokenizer ByteLevel with add_prefix_space is not supported (it would not round-trip)");
    if (p.value("use_regex", true)) {
      if (!pattern.empty()) throw Error("two pre-tokenizer patterns");
      pattern = kGpt2Pattern;
    }
  };
  const json& pre = doc.value("pre_tokenizer", json());
  if (pre.is_null()) throw Error("no pre_tokenizer: not a byte-level BPE");
  std::vector<json> steps = pre.value("type", "") == "Sequence" ? pre.value("pretokenizers", std::vector<json>{})
                                                                 : std::vector<json>{pre};
  bool has_byte_level = false;
  for (const json& step : steps) {
    std::string type = step.value("type", "");
    if (type == "ByteLevel") {
      byte_level(step);
      has_byte_level = true;
    } else if (type == "Split") {
      if (step.value("behavior", "") != "Isolated" || step.value("invert", false))
        throw Error("pre_tokenizer Split must be Isolated and not inverted");
      const json& p = step.value("pattern", json::object());
      if (p.contains("Regex")) pattern = p["Regex"].get<std::string>();
      else throw Error("pre_tokenizer Split needs a Regex pattern");
    } else if (type != "Digits" || step.value("individual_digits", false)) {
      throw Error("pre_tokenizer " + type + " is not supported");
    }
  }
  if (!has_byte_level) throw Error("no ByteLevel pre_tokenizer: not a byte-level BPE");
  if (pattern.empty()) throw Error("no pre-tokenizer pattern");
  return BpeTokenizer(std::move(tokens), std::move(merges), std::move(specials), pattern);
}

BpeTokenizer BpeTokenizer::from_tiktoken(const std::string& text, const std::string& pattern) {
  std::vector<std::string> tokens;
  std::istringstream lines(text);
  std::string line;
  size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    size_t space = line.find(' ');
    try {
      if (space == std::string::npos) throw Error("expected \"BASE64 RANK\"");
      uint64_t rank = std::stoull(line.substr(space + 1));
      if (rank != tokens.size()) throw Error("ranks must count up from 0 without gaps");
      tokens.push_back(base64_decode(std::string_view(line).substr(0, space)));
    } catch (const std::exception& e) {
      throw Error("tiktoken line " + std::to_string(number) + ": " + e.what());
    }
  }
  if (tokens.empty()) throw Error("empty tiktoken file");
  // tiktoken merges the adjacent pair whose concatenation has the lowest rank: every way of
  // splitting a token into two tokens is such a pair, with the token's rank as priority.
  std::unordered_map<std::string, uint32_t> ids;
  for (uint32_t i = 0; i < tokens.size(); ++i) ids.emplace(tokens[i], i);
  std::vector<Merge> merges;
  for (uint32_t i = 0; i < tokens.size(); ++i)
    for (size_t k = 1; k < tokens[i].size(); ++k) {
      auto l = ids.find(tokens[i].substr(0, k)), r = ids.find(tokens[i].substr(k));
      if (l != ids.end() && r != ids.end()) merges.push_back({l->second, r->second, i});
    }
  return BpeTokenizer(std::move(tokens), std::move(merges), {}, pattern);
}

std::string BpeTokenizer::to_huggingface_json() const {
  json vocab = json::object();
  for (uint32_t i = 0; i < tokens_.size(); ++i) vocab[bytes_to_gpt2_unicode(tokens_[i])] = i;
  std::vector<Merge> ordered = merges_;
  std::stable_sort(ordered.begin(), ordered.end(), [](const Merge& a, const Merge& b) { return a.priority < b.priority; });
  json merges = json::array();
  for (const Merge& m : ordered)
    merges.push_back(bytes_to_gpt2_unicode(tokens_[m.left]) + " " + bytes_to_gpt2_unicode(tokens_[m.right]));
  json added = json::array();
  for (size_t i = 0; i < specials_.size(); ++i)
    added.push_back({{"id", tokens_.size() + i}, {"content", specials_[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  json doc = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", pretokenizer_.pattern()}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
        {"merges", merges}}}};
  return doc.dump(1) + "\n";
}

}  // namespace mm::tokenize
