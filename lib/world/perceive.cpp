#include "world/perceive.h"

#include <cmath>

#include "world/detect.h"

namespace mm::world {

namespace {

Object object_of(const Detection& d) {
  Object o;
  o.shape = d.shape;
  o.colour = d.colour;
  o.size = d.size;
  o.x = int(std::lround(d.x));
  o.y = int(std::lround(d.y));
  return o;
}

}  // namespace

Scene perceive(const media::Image& image) {
  Scene scene;
  for (const auto& d : detect(image)) scene.objects.push_back(object_of(d));
  canonicalize(scene);
  return scene;
}

Scene perceive(const std::vector<media::Image>& frames) {
  if (frames.empty()) return {};
  auto start = detect(frames.front());
  auto end = frames.size() > 1 ? detect(frames.back()) : start;
  Scene scene;
  for (const auto& a : start) {
    Object o = object_of(a);
    for (const auto& b : end) {
      if (b.colour != a.colour) continue;
      double dx = b.x - a.x, dy = b.y - a.y, travel = std::hypot(dx, dy);
      if (travel < kSlowTravel / 2.0) break;
      o.motion = std::abs(dx) >= std::abs(dy) ? (dx < 0 ? Direction::Left : Direction::Right)
                                               : (dy < 0 ? Direction::Up : Direction::Down);
      o.speed = travel > (kSlowTravel + kFastTravel) / 2.0 ? Speed::Fast : Speed::Slow;
      break;
    }
    scene.objects.push_back(o);
  }
  canonicalize(scene);
  return scene;
}

}  // namespace mm::world
