#include "generate/prefill_pieces.h"

namespace mm::generate {

namespace {

// <|bos|> and the segments' end markers: a piece ends after each.
bool ends_piece(const Layout& layout, uint32_t id) {
  Marker which;
  if (!layout.is_marker(id, which)) return false;
  switch (which) {
    case Marker::Bos:
    case Marker::EndText:
    case Marker::EndCode:
    case Marker::EndImage:
    case Marker::EndVideo:
    case Marker::EndAudio:
      return true;
    default:
      return false;
  }
}

// Where the piece holding `position` begins, before it is cut into chunks.
size_t piece_start(const Layout& layout, const std::vector<uint32_t>& ids, size_t position) {
  while (position > 0 && !ends_piece(layout, ids[position - 1])) --position;
  return position;
}

}  // namespace

std::vector<PrefillPiece> prefill_pieces(const Layout& layout, const std::vector<uint32_t>& ids, size_t from) {
  std::vector<PrefillPiece> pieces;
  if (from >= ids.size()) return pieces;
  size_t start = piece_start(layout, ids, from), begin = from;
  for (size_t i = from; i < ids.size(); ++i) {
    const size_t end = i + 1;
    const bool ends = ends_piece(layout, ids[i]);
    if (ends || (end - start) % kPrefillChunk == 0 || end == ids.size()) {
      pieces.push_back({begin, end});
      begin = end;
      if (ends) start = end;
    }
  }
  return pieces;
}

size_t split_point_before(const Layout& layout, const std::vector<uint32_t>& ids, size_t position) {
  if (position > ids.size()) position = ids.size();
  const size_t start = piece_start(layout, ids, position);
  return start + (position - start) / kPrefillChunk * kPrefillChunk;
}

}  // namespace mm::generate
