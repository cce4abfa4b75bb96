// The scene a picture or a video shows, as the detectors see it: what a classical "model"
// answers, and the proof that every reference answer of the corpus follows from the pixels
// alone (the caption of perceive(image) is the scene's caption).
#pragma once

#include <vector>

#include "media/image.h"
#include "world/scene.h"

namespace mm::world {

// Objects with centres rounded to world units, in canonical order; nothing moves.
Scene perceive(const media::Image& image);
// The first frame's objects, each moving as it travels from the first frame to the last:
// not under half a slow travel, else along its larger axis, fast beyond the midpoint of
// the slow and fast travels. An object missing from the last frame keeps still.
Scene perceive(const std::vector<media::Image>& frames);

}  // namespace mm::world
