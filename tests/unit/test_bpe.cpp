#include <doctest/doctest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "error.h"
#include "tokenize/bpe.h"
#include "tokenize/bpe_fit.h"

using namespace mm;
using namespace mm::tokenize;

namespace {

// The whole input as one piece, as in the textbook examples that have no pre-tokenizer.
const char* const kWholeText = R"((?s).+)";

std::string random_bytes(std::mt19937_64& rng, size_t n, bool utf8_text) {
  static const char* words[] = {"the ", "cat ", "sat ", "on ", "mat", ". ", "\n", "  ", "éa ", "日本 ", "42", "\t"};
  std::string s;
  while (s.size() < n) {
    if (utf8_text) s += words[rng() % 12];
    else s += char(rng() & 0xff);
  }
  return s;
}

BpeTokenizer small_fit(const std::string& corpus, size_t vocab, const std::string& pattern = kQwenPattern) {
  BpeFitOptions options;
  options.vocab_size = vocab;
  options.min_frequency = 1;
  options.pattern = pattern;
  BpeFitter fitter(options);
  fitter.add(corpus);
  return fitter.fit();
}

// An independent reference: repeatedly merge the adjacent pair with the lowest priority
// (leftmost on ties), straight from the definition.
std::vector<uint32_t> reference_merge(const BpeTokenizer& t, const std::string& piece,
                                      const std::vector<std::pair<std::string, std::string>>& merges) {
  std::vector<std::string> symbols;
  for (char c : piece) symbols.emplace_back(1, c);
  for (;;) {
    size_t best = SIZE_MAX, at = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i)
      for (size_t m = 0; m < merges.size() && m < best; ++m)
        if (merges[m].first == symbols[i] && merges[m].second == symbols[i + 1]) {
          best = m;
          at = i;
        }
    if (best == SIZE_MAX) break;
    symbols[at] += symbols[at + 1];
    symbols.erase(symbols.begin() + at + 1);
  }
  std::vector<uint32_t> codes;
  for (const auto& s : symbols)
    for (uint32_t id = 0; id < t.vocab_size(); ++id)
      if (t.token(id) == s) {
        codes.push_back(id);
        break;
      }
  return codes;
}

}  // namespace

TEST_CASE("the textbook example: aaabdaaabac with three merges") {
  // Wikipedia's byte pair encoding example (Z=aa, Y=ab, X=ZY), and minbpe's quick start,
  // which prints [258, 100, 258, 97, 99] for the same text and merges.
  BpeTokenizer t = small_fit("aaabdaaabac", 256 + 3, kWholeText);
  CHECK(t.token(256) == "aa");
  CHECK(t.token(257) == "ab");
  CHECK(t.token(258) == "aaab");
  CHECK(t.encode("aaabdaaabac") == std::vector<uint32_t>{258, 100, 258, 97, 99});
  CHECK(t.decode(t.encode("aaabdaaabac")) == "aaabdaaabac");
}

TEST_CASE("any bytes round-trip exactly, invalid UTF-8 included") {
  std::mt19937_64 rng(5);
  BpeTokenizer t = small_fit(random_bytes(rng, 20000, true), 400);
  for (int i = 0; i < 200; ++i) {
    std::string text = random_bytes(rng, 1 + rng() % 300, i % 2);
    CAPTURE(i);
    CHECK(t.decode(t.encode(text)) == text);
  }
  CHECK(t.encode("").empty());
  std::string nul("a\0b", 3);
  CHECK(t.decode(t.encode(nul)) == nul);
}

TEST_CASE("long pieces (heap path) merge exactly as the definition says") {
  std::mt19937_64 rng(9);
  std::string corpus;
  for (int i = 0; i < 3000; ++i) corpus += "abcabdababcc"[rng() % 12];
  BpeTokenizer t = small_fit(corpus, 300, kWholeText);
  std::vector<std::pair<std::string, std::string>> merges;
  nlohmann::json doc = nlohmann::json::parse(t.to_huggingface_json());
  for (const auto& m : doc["model"]["merges"]) {
    std::string s = m.get<std::string>();
    merges.emplace_back(gpt2_unicode_to_bytes(s.substr(0, s.find(' '))), gpt2_unicode_to_bytes(s.substr(s.find(' ') + 1)));
  }
  REQUIRE(merges.size() == t.vocab_size() - 256);
  for (size_t n : {5, 30, 200, 1000}) {
    std::string piece = corpus.substr(n, n);
    CAPTURE(n);
    CHECK(t.encode(piece) == reference_merge(t, piece, merges));
  }
}

TEST_CASE("fitting is deterministic and stops at the requested size") {
  std::mt19937_64 rng(3);
  std::string corpus = random_bytes(rng, 50000, true);
  BpeTokenizer a = small_fit(corpus, 500), b = small_fit(corpus, 500);
  CHECK(a.to_huggingface_json() == b.to_huggingface_json());
  CHECK(a.id() == b.id());
  CHECK(a.vocab_size() <= 500);
  CHECK(a.vocab_size() > 256);
}

TEST_CASE("tokenizer.json: what we write loads back with the same codes and id") {
  std::mt19937_64 rng(4);
  std::string corpus = random_bytes(rng, 30000, true);
  BpeTokenizer t = small_fit(corpus, 450);
  BpeTokenizer back = BpeTokenizer::from_huggingface_json(t.to_huggingface_json());
  CHECK(back.id() == t.id());
  CHECK(back.vocab_size() == t.vocab_size());
  std::string sample = corpus.substr(1000, 2000);
  CHECK(back.encode(sample) == t.encode(sample));
}

TEST_CASE("tokenizer.json in Hugging Face's own spelling: GPT-2 pattern, merges as arrays, added tokens") {
  // Byte-level alphabet: 'Ġ' is the space byte. Merges "h e", "he l", "hel l", "hell o", "Ġ w".
  std::string vocab = "{";
  for (int b = 0; b < 256; ++b)
    vocab += "\"" + (b == '"' ? std::string("\\\"") : b == '\\' ? std::string("\\\\") : bytes_to_gpt2_unicode(std::string(1, char(b)))) +
             "\":" + std::to_string(b) + ",";
  vocab += R"("he":256,"hel":257,"hell":258,"hello":259,"Ġw":260})";
  std::string json = R"({"added_tokens":[{"id":261,"content":"<|end|>","special":true}],
    "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
    "model":{"type":"BPE","vocab":)" + vocab + R"(,"merges":[["h","e"],"he l",["hel","l"],"hell o","Ġ w"]}})";
  BpeTokenizer t = BpeTokenizer::from_huggingface_json(json);
  CHECK(t.vocab_size() == 262);
  CHECK(t.encode("hello world") == std::vector<uint32_t>{259, 260, 'o', 'r', 'l', 'd'});
  CHECK(t.token(261) == "<|end|>");
  CHECK(t.encode("<|end|>") != std::vector<uint32_t>{261});  // text never yields a special token
}

TEST_CASE("tiktoken rank files: the lowest-ranked concatenation merges first") {
  // base64 of each byte, then "he" (256), "ll" (257), "hell" (258), "hello" (259).
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto encode64 = [&](const std::string& s) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : s) {
      buffer = buffer << 8 | c;
      bits += 8;
      while (bits >= 6) out += b64[(buffer >> (bits -= 6)) & 63];
    }
    if (bits) out += b64[(buffer << (6 - bits)) & 63];
    while (out.size() % 4) out += '=';
    return out;
  };
  std::string ranks;
  for (int b = 0; b < 256; ++b) ranks += encode64(std::string(1, char(b))) + " " + std::to_string(b) + "\n";
  int rank = 256;
  for (const char* token : {"he", "ll", "hell", "hello"}) ranks += encode64(token) + " " + std::to_string(rank++) + "\n";
  BpeTokenizer t = BpeTokenizer::from_tiktoken(ranks, kQwenPattern);
  CHECK(t.encode("hello") == std::vector<uint32_t>{259});
  CHECK(t.encode("hell") == std::vector<uint32_t>{258});
  CHECK(t.encode("shell") == std::vector<uint32_t>{'s', 258});
  CHECK_THROWS_WITH_AS(BpeTokenizer::from_tiktoken("aGk= 5\n", kQwenPattern), doctest::Contains("without gaps"), Error);
}

TEST_CASE("bad vocabularies are refused with the reason") {
  CHECK_THROWS_WITH_AS(BpeTokenizer::from_huggingface_json("{"), doctest::Contains("not valid JSON"), Error);
  CHECK_THROWS_WITH_AS(BpeTokenizer::from_huggingface_json(R"({"model":{"type":"Unigram","vocab":[]}})"),
                       doctest::Contains("not a BPE"), Error);
  CHECK_THROWS_WITH_AS(
      BpeTokenizer::from_huggingface_json(R"({"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{"a":0}}})"),
      doctest::Contains("single byte"), Error);
  CHECK_THROWS_WITH_AS(BpeTokenizer::from_huggingface_json(R"({"model":"a string"})"), doctest::Contains("malformed"),
                       Error);
  CHECK_THROWS_WITH_AS(Pretokenizer("(unclosed"), doctest::Contains("pattern"), Error);
  CHECK_THROWS_AS(BpeTokenizer::load("/nonexistent/tokenizer.json"), Error);
  BpeTokenizer t = small_fit("abc", 257);
  uint32_t bad = 9999;
  CHECK_THROWS_WITH_AS(t.decode(&bad, 1), doctest::Contains("outside the vocabulary"), Error);
}

TEST_CASE("text cut at chunk boundaries encodes to the codes of the whole") {
  std::mt19937_64 rng(12);
  BpeTokenizer t = small_fit(random_bytes(rng, 40000, true), 600);
  for (int i = 0; i < 50; ++i) {
    std::string text = random_bytes(rng, 500 + rng() % 3000, true);
    std::string_view view(text);
    std::vector<uint32_t> whole = t.encode(text), parts;
    while (!view.empty()) {
      size_t cut = BpeTokenizer::chunk_boundary(view.substr(0, 1 + rng() % 700));
      if (cut == 0) cut = view.size();
      t.encode(view.substr(0, cut), parts);
      view.remove_prefix(cut);
    }
    CAPTURE(i);
    CHECK(parts == whole);
  }
  CHECK(BpeTokenizer::chunk_boundary("no line break") == 0);
  CHECK(BpeTokenizer::chunk_boundary("a\n b\nc") == 5);
  CHECK(BpeTokenizer::chunk_boundary("a\n\n") == 0);
}
