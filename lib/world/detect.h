// Finding the world's objects in pixels, classically: segmentation by chroma (the
// background is grey) into connected components, each coloured by the hue of its most
// saturated pixels (anti-aliasing and JPEG lower an object's chroma but keep its hue; a
// decoder's orange speckles on a yellow object are outvoted), then shape measures. Each component's coverage map (each pixel
// projected on the line from the background to the component's colour) is compared with
// the renderer's own anti-aliased circle, square and triangle of the same area, sharp and
// blurred (up to three 3x3 box blurs, as a decoder's reconstruction may be); the closest is
// its shape, the extent that area implies is its size.
#pragma once

#include <vector>

#include "media/image.h"
#include "world/scene.h"

namespace mm::world {

struct Detection {
  Colour colour = Colour::Red;
  Shape shape = Shape::Circle;
  Size size = Size::Medium;
  double x = 0, y = 0;     // centre of the bounding box, world units
  double extent = 0;       // world units, from the area and the shape
  double area = 0;         // world units squared, coverage-weighted
  double fill = 0;         // area over the bounding box of the covered pixels
  double circularity = 0;  // 4 pi area / perimeter^2 of the covered pixels
  double mismatch = 0;     // |coverage - best template| summed, over the area: 0 is perfect
};

// Every object in the image, largest first; components smaller than 0.4 of the smallest
// world shape, and those smaller than it that match no shape, are noise (JPEG's and
// H.264's chroma bleeding at edges) and dropped. Any image size; positions are world units.
std::vector<Detection> detect(const media::Image& image);

// The size class of an extent: nearest of small, medium, large.
Size size_of_extent(double extent);

}  // namespace mm::world
