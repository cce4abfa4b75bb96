// libFuzzer target for the drawing language (mm-world(1)): any bytes end in an mm::Error or
// in objects whose canonical code parses back to the same objects and renders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "world/drawing.h"
#include "world/raster.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string code(reinterpret_cast<const char*>(data), size);
  try {
    auto objects = mm::world::parse_code(code);
    if (mm::world::parse_code(mm::world::to_code(objects)) != objects) std::abort();
    auto image = mm::world::render_image(objects, 16);
    if (image.rgb.size() != 16 * 16 * 3) std::abort();
  } catch (const mm::Error&) {
  }
  return 0;
}
