// libFuzzer target for what image and video segments' metadata and mm-tokenize's --size
// give: any text ends in an mm::Error or in a geometry that is consistent (a frame within
// the 16384-pixel limit, the picture region inside it, one timestamp per frame), and its
// metadata written back parses to the same geometry.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "media/resize.h"
#include "tokenize/visual_metadata.h"

namespace {

void check(const mm::tokenize::VisualGeometry& g, bool video) {
  if (g.frame_width() < 1 || g.frame_width() > 16384 || g.frame_height() < 1 || g.frame_height() > 16384) std::abort();
  if (g.content_x + g.content_width > g.frame_width() || g.content_y + g.content_height > g.frame_height()) std::abort();
  if (video && g.timestamps.size() != size_t(g.frames)) std::abort();
  auto again = mm::tokenize::parse_visual_metadata(mm::tokenize::visual_metadata_fields(g, video), video);
  if (again.codes_per_frame() != g.codes_per_frame() || again.content_width != g.content_width ||
      again.frames != g.frames)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (bool video : {false, true}) {
    try {
      check(mm::tokenize::parse_visual_metadata(text, video), video);
    } catch (const mm::Error&) {
    }
  }
  try {
    auto policy = mm::media::parse_size(text.substr(0, 32));
    auto p = mm::media::place(1 + int(size % 5000), 1 + int(size % 3000), policy, 8);
    if (p.frame_width % 8 || p.frame_height % 8 || p.content_width > p.frame_width || p.content_height > p.frame_height)
      std::abort();
  } catch (const mm::Error&) {
  }
  return 0;
}
