// libFuzzer target for the world's other parsers: captions (scene_of_caption, which also
// parses motion sentences) and the scene JSON of manifests. Any bytes end in nothing or an
// mm::Error, or in a scene that writes and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "world/language.h"
#include "world/raster.h"
#include "world/scene.h"
#include "world/solve.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto scene = mm::world::scene_of_caption(text)) {
    // What was understood says itself again in the grammar, and reads back the same.
    std::string again = mm::world::caption(*scene) + "; " + mm::world::motion_sentence(*scene);
    auto reread = mm::world::scene_of_caption(again);
    if (!reread || mm::world::caption(*reread) != mm::world::caption(*scene) ||
        mm::world::motion_sentence(*reread) != mm::world::motion_sentence(*scene))
      std::abort();
  }
  try {
    auto scene = mm::world::scene_from_json(text);
    if (!(mm::world::scene_from_json(mm::world::to_json(scene)) == scene)) std::abort();
    mm::world::render_image(scene.objects, 16);
  } catch (const mm::Error&) {
  }
  return 0;
}
