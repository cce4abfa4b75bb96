// libFuzzer target for the bundle's layout and the sequence grammar. The input is layout
// JSON, then (after a NUL byte) ids as little-endian u16 for the parser. Any bytes end in
// an mm::Error or in a layout that round-trips through its JSON, and whatever segments
// the parser accepts come back identical through builder -> parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.h"
#include "generate/layout.h"

using namespace mm::generate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t json_size = nul ? size_t(nul - data) : size;
  Layout layout;
  try {
    layout = Layout::from_json(std::string(reinterpret_cast<const char*>(data), json_size));
  } catch (const mm::Error&) {
    return 0;
  }
  if (Layout::from_json(layout.to_json()).to_json() != layout.to_json()) std::abort();
  if (!nul) return 0;
  SequenceParser parser(layout);
  try {
    for (const uint8_t* p = nul + 1; p + 1 < data + size; p += 2) parser.push(uint32_t(p[0] | p[1] << 8));
  } catch (const mm::Error&) {
  }
  auto segments = parser.take();
  SequenceBuilder builder(layout);
  for (const auto& s : segments) {
    builder.begin_segment(s.modality, s.role, s.shape);
    builder.codes(s.codes);
    builder.end_segment();
  }
  SequenceParser again(layout);
  again.push(builder.ids());
  if (again.take() != segments) std::abort();
  return 0;
}
