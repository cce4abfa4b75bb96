#include "world/raster.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace mm::world {

namespace {

constexpr int kSamples = 4;  // per pixel side: sample i of a pixel lies at (2i + 1) / 8

// Whether the point (u, v) lies inside the shape centred at (x, y) with half-extent `half`.
// The triangle points up, its apex at the top middle of the bounding box, its base along the
// bottom. Works the same on exact integers and on doubles.
template <typename T>
bool inside(Shape shape, T x, T y, T half, T u, T v) {
  switch (shape) {
    case Shape::Circle:
      return (u - x) * (u - x) + (v - y) * (v - y) <= half * half;
    case Shape::Square:
      return u - x <= half && x - u <= half && v - y <= half && y - v <= half;
    case Shape::Triangle:
      return v >= y - half && v <= y + half && 2 * (u - x) <= v - y + half && 2 * (x - u) <= v - y + half;
  }
  return false;
}

void step_of(Direction d, int& dx, int& dy) {
  dx = d == Direction::Left ? -1 : d == Direction::Right ? 1 : 0;
  dy = d == Direction::Up ? -1 : d == Direction::Down ? 1 : 0;
}

}  // namespace

int coverage(Shape shape, double x, double y, double extent, int px, int py, int size) {
  double scale = double(kWorldSize) / size, half = extent / 2;
  int count = 0;
  for (int j = 0; j < kSamples; ++j)
    for (int i = 0; i < kSamples; ++i) {
      double u = (px + (2 * i + 1) / 8.0) * scale, v = (py + (2 * j + 1) / 8.0) * scale;
      count += inside(shape, x, y, half, u, v);
    }
  return count;
}

media::Image render_image(const std::vector<Object>& objects, int size, int frame, int frames) {
  media::Image image;
  image.width = image.height = size;
  image.rgb.resize(size_t(size) * size * 3);
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    image.rgb[i] = kBackground.r;
    image.rgb[i + 1] = kBackground.g;
    image.rgb[i + 2] = kBackground.b;
  }
  // Exact coordinates: world units times 8 * size * steps, where a frame is `frame` of
  // `steps` steps along the motion. A sample of pixel p sits at (8p + 2i + 1) * 96 * steps.
  const int64_t steps = std::max(1, frames - 1);
  const int64_t unit = int64_t(8) * size * steps;  // one world unit
  const int total = kSamples * kSamples;
  for (const auto& o : objects) {
    int dx, dy;
    step_of(o.motion, dx, dy);
    const int64_t travel = o.motion == Direction::None ? 0 : (o.speed == Speed::Fast ? kFastTravel : kSlowTravel);
    const int64_t x = (int64_t(o.x) * steps + dx * travel * frame) * 8 * size;
    const int64_t y = (int64_t(o.y) * steps + dy * travel * frame) * 8 * size;
    const int64_t half = int64_t(extent_of(o.size)) * unit / 2;
    // The pixels the bounding box touches, and one more on each side.
    const int64_t pixel = unit * kWorldSize / size;  // one pixel in exact units: 8 * 96 * steps
    int x0 = int(std::max<int64_t>(0, (x - half) / pixel - 1)), x1 = int(std::min<int64_t>(size - 1, (x + half) / pixel + 1));
    int y0 = int(std::max<int64_t>(0, (y - half) / pixel - 1)), y1 = int(std::min<int64_t>(size - 1, (y + half) / pixel + 1));
    Rgb colour = rgb_of(o.colour);
    for (int py = y0; py <= y1; ++py)
      for (int px = x0; px <= x1; ++px) {
        int k = 0;
        for (int j = 0; j < kSamples; ++j)
          for (int i = 0; i < kSamples; ++i) {
            int64_t u = (int64_t(8) * px + 2 * i + 1) * kWorldSize * steps;
            int64_t v = (int64_t(8) * py + 2 * j + 1) * kWorldSize * steps;
            k += inside<int64_t>(o.shape, x, y, half, u, v);
          }
        if (!k) continue;
        uint8_t* p = &image.rgb[(size_t(py) * size + px) * 3];
        p[0] = uint8_t((p[0] * (total - k) + colour.r * k + total / 2) / total);
        p[1] = uint8_t((p[1] * (total - k) + colour.g * k + total / 2) / total);
        p[2] = uint8_t((p[2] * (total - k) + colour.b * k + total / 2) / total);
      }
  }
  return image;
}

std::vector<media::Image> render_video(const Scene& scene, int size) {
  std::vector<media::Image> frames;
  for (int f = 0; f < kVideoFrames; ++f) frames.push_back(render_image(scene.objects, size, f, kVideoFrames));
  return frames;
}

}  // namespace mm::world
