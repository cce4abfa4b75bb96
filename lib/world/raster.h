// Draws scenes: anti-aliased RGB images at any square size, and the frames of a scene's
// motion. Coverage is counted on a fixed 4x4 grid of samples per pixel in exact integer
// geometry (no floating point, which compilers may contract differently), so the pixels are
// the same on every machine.
#pragma once

#include <vector>

#include "media/image.h"
#include "world/scene.h"

namespace mm::world {

// Objects are painted in order over the background, each where it is in frame `frame` of
// `frames` (the first frame is the scene as written; the last, the end of its motion).
media::Image render_image(const std::vector<Object>& objects, int size, int frame = 0, int frames = 1);
inline media::Image render_image(const Scene& scene, int size) { return render_image(scene.objects, size); }

// kVideoFrames frames spanning the motion.
std::vector<media::Image> render_video(const Scene& scene, int size);

// Samples (0 to 16) of pixel (px, py) of a size x size raster inside a shape of `extent`
// world units centred at (x, y): the renderer's geometry in floating point, for the
// detector's templates.
int coverage(Shape shape, double x, double y, double extent, int px, int py, int size);

}  // namespace mm::world
