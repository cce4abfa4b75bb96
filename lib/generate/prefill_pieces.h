// Where every prefill of a sequence is split. A position's floats depend on how the ids
// before it were grouped into forward passes (matrix products of other row counts round
// differently), so the grouping is a pure function of the ids: a piece ends after <|bos|>
// and after every segment's end marker, and a longer piece is cut every kPrefillChunk ids
// counted from its start (so the pieces of a sequence's prefix are those of the sequence,
// but for the prefix's last, unfinished one). A stream's ids always end at such a point
// (<|bos|> or a segment's end), so a KV state saved there, prefilled further by the same
// rule, holds the floats a prefill of the whole sequence from scratch gives, bit for bit.
// mm-encode, mm-generate, mm-describe and the decoding loop all prefill through this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "generate/layout.h"

namespace mm::generate {

// The most ids one forward pass of a prefill takes (the attention scores stay chunk x length).
constexpr size_t kPrefillChunk = 512;

struct PrefillPiece {
  size_t begin = 0, end = 0;  // positions [begin, end) of the sequence
  size_t size() const { return end - begin; }
  bool operator==(const PrefillPiece& o) const { return begin == o.begin && end == o.end; }
};

// The pieces that prefill ids[from, ids.size()), in order. `from` should be a split point
// (where a state ends); if it is not, the first piece starts there and the rest keep the
// rule. The last piece may be a piece's beginning (a prompt that ends inside a segment):
// positions up to its end are then not yet where a longer sequence would have them.
std::vector<PrefillPiece> prefill_pieces(const Layout& layout, const std::vector<uint32_t>& ids, size_t from = 0);

// The last split point at or before `position`: where a row can be cut back to so that
// everything before it was computed as the rule computes it (e.g. before the pieces whose
// ids were decoded one at a time).
size_t split_point_before(const Layout& layout, const std::vector<uint32_t>& ids, size_t position);

}  // namespace mm::generate
