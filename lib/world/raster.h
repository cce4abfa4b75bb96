// Draws scenes: anti-aliased RGB images at any square size, and the frames of a scene's
// motion. Integer coverage arithmetic on a fixed 4x4 sample grid per pixel, so the pixels
// are the same on every machine.
#pragma once

#include <vector>

#include "media/image.h"
#include "world/scene.h"

namespace mm::world {

// Objects are painted in order over the background, each where it is at time t in [0, 1].
media::Image render_image(const std::vector<Object>& objects, int size, double t = 0);
inline media::Image render_image(const Scene& scene, int size) { return render_image(scene.objects, size, 0); }

// kVideoFrames frames spanning the motion from t = 0 to t = 1.
std::vector<media::Image> render_video(const Scene& scene, int size);

// Fraction (0..16 samples of 16) of the pixel (px, py) of a size x size raster that a
// shape of `extent` world units centred at (x, y) covers.
int coverage(Shape shape, double x, double y, double extent, int px, int py, int size);

}  // namespace mm::world
