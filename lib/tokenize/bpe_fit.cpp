#include "tokenize/bpe_fit.h"

#include <algorithm>
#include <queue>

#include "error.h"

namespace mm::tokenize {

namespace {

uint64_t key(uint32_t a, uint32_t b) { return uint64_t(a) << 32 | b; }

struct Word {
  std::vector<uint32_t> symbols;
  uint64_t count;
};

struct Candidate {
  uint64_t count;
  uint64_t pair;
  // Most frequent first; ties go to the smaller pair of ids, which makes fitting deterministic.
  bool operator<(const Candidate& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

}  // namespace

BpeFitter::BpeFitter(BpeFitOptions options) : options_(std::move(options)), pretokenizer_(options_.pattern) {
  if (options_.vocab_size < 256 + options_.specials.size())
    throw UsageError("vocabulary size must be at least 256 plus the special tokens");
}

void BpeFitter::add(std::string_view text) {
  pretokenizer_.split(text, [&](std::string_view piece) {
    ++counts_[std::string(piece)];
    ++pieces_;
  });
}

BpeTokenizer BpeFitter::fit(const std::function<void(size_t, size_t)>& progress) const {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.emplace_back(1, char(b));
  size_t target = options_.vocab_size - options_.specials.size() - 256;

  // Words in byte order, so that nothing depends on hash-table iteration order.
  std::vector<std::pair<std::string_view, uint64_t>> sorted(counts_.begin(), counts_.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> words;
  words.reserve(sorted.size());
  for (const auto& [piece, count] : sorted) {
    if (piece.size() < 2) continue;
    Word w{{}, count};
    for (unsigned char c : piece) w.symbols.push_back(c);
    words.push_back(std::move(w));
  }

  std::unordered_map<uint64_t, uint64_t> pair_counts;
  std::unordered_map<uint64_t, std::vector<uint32_t>> where;
  for (uint32_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      uint64_t k = key(s[i], s[i + 1]);
      pair_counts[k] += words[w].count;
      auto& list = where[k];
      if (list.empty() || list.back() != w) list.push_back(w);
    }
  }
  std::priority_queue<Candidate> heap;
  for (const auto& [k, count] : pair_counts) heap.push({count, k});

  std::vector<BpeTokenizer::Merge> merges;
  std::vector<uint32_t> visited(words.size(), UINT32_MAX);
  std::vector<uint64_t> touched;
  while (merges.size() < target && !heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    auto current = pair_counts.find(top.pair);
    uint64_t count = current == pair_counts.end() ? 0 : current->second;
    if (count != top.count) {  // stale entry: requeue with the real count
      if (count > 0) heap.push({count, top.pair});
      continue;
    }
    if (count < options_.min_frequency) break;
    uint32_t a = uint32_t(top.pair >> 32), b = uint32_t(top.pair);
    uint32_t merged = uint32_t(tokens.size());
    tokens.push_back(tokens[a] + tokens[b]);
    merges.push_back({a, b, uint32_t(merges.size())});
    touched.clear();

    std::vector<uint32_t> affected;
    affected.swap(where[top.pair]);
    for (uint32_t w : affected) {
      if (visited[w] == merged) continue;
      visited[w] = merged;
      Word& word = words[w];
      auto& s = word.symbols;
      bool present = false;
      for (size_t i = 0; i + 1 < s.size(); ++i) present |= s[i] == a && s[i + 1] == b;
      if (!present) continue;
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        uint64_t k = key(s[i], s[i + 1]);
        pair_counts[k] -= word.count;
        touched.push_back(k);
      }
      std::vector<uint32_t> next;
      next.reserve(s.size());
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          next.push_back(merged);
          ++i;
        } else {
          next.push_back(s[i]);
        }
      }
      s.swap(next);
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        uint64_t k = key(s[i], s[i + 1]);
        pair_counts[k] += word.count;
        touched.push_back(k);
        // Only pairs with the new token are new to this word; it is listed under the others.
        if (s[i] == merged || s[i + 1] == merged) {
          auto& list = where[k];
          if (list.empty() || list.back() != w) list.push_back(w);
        }
      }
    }
    pair_counts.erase(top.pair);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (uint64_t k : touched) {
      auto it = pair_counts.find(k);
      if (it == pair_counts.end()) continue;
      if (it->second == 0) {
        pair_counts.erase(it);
        where.erase(k);
      } else {
        heap.push({it->second, k});
      }
    }
    if (progress && merges.size() % 256 == 0) progress(merges.size(), target);
  }
  if (progress) progress(merges.size(), target);
  return BpeTokenizer(std::move(tokens), std::move(merges), options_.specials, options_.pattern);
}

}  // namespace mm::tokenize
