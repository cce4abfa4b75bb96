#include "world/raster.h"

#include <algorithm>
#include <cmath>

namespace mm::world {

namespace {

constexpr int kSamples = 4;  // per pixel side

// Whether the point (u, v) lies inside the shape; the triangle points up, its apex at the
// top middle of the bounding box and its base along the bottom.
bool inside(Shape shape, double x, double y, double half, double u, double v) {
  switch (shape) {
    case Shape::Circle:
      return (u - x) * (u - x) + (v - y) * (v - y) <= half * half;
    case Shape::Square:
      return std::abs(u - x) <= half && std::abs(v - y) <= half;
    case Shape::Triangle:
      return v >= y - half && v <= y + half && std::abs(u - x) <= (v - y + half) / 2;
  }
  return false;
}

}  // namespace

int coverage(Shape shape, double x, double y, double extent, int px, int py, int size) {
  double scale = double(kWorldSize) / size, half = extent / 2;
  int count = 0;
  for (int j = 0; j < kSamples; ++j)
    for (int i = 0; i < kSamples; ++i) {
      double u = (px + (i + 0.5) / kSamples) * scale, v = (py + (j + 0.5) / kSamples) * scale;
      count += inside(shape, x, y, half, u, v);
    }
  return count;
}

media::Image render_image(const std::vector<Object>& objects, int size, double t) {
  media::Image image;
  image.width = image.height = size;
  image.rgb.resize(size_t(size) * size * 3);
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    image.rgb[i] = kBackground.r;
    image.rgb[i + 1] = kBackground.g;
    image.rgb[i + 2] = kBackground.b;
  }
  double scale = double(size) / kWorldSize;
  for (const auto& o : objects) {
    double x, y;
    position_at(o, t, x, y);
    double half = extent_of(o.size) / 2.0;
    int x0 = std::max(0, int(std::floor((x - half) * scale)) - 1), x1 = std::min(size - 1, int((x + half) * scale) + 1);
    int y0 = std::max(0, int(std::floor((y - half) * scale)) - 1), y1 = std::min(size - 1, int((y + half) * scale) + 1);
    Rgb colour = rgb_of(o.colour);
    const int total = kSamples * kSamples;
    for (int py = y0; py <= y1; ++py)
      for (int px = x0; px <= x1; ++px) {
        int k = coverage(o.shape, x, y, extent_of(o.size), px, py, size);
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
  for (int f = 0; f < kVideoFrames; ++f) frames.push_back(render_image(scene.objects, size, double(f) / (kVideoFrames - 1)));
  return frames;
}

}  // namespace mm::world
