#include "world/detect.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "world/raster.h"

namespace mm::world {

namespace {

constexpr int kMinChroma = 40;     // below: background (anti-aliased edges below ~25% coverage)
constexpr int kFaintChroma = 12;   // still counted in a known object's coverage
constexpr double kShapelessMismatch = 0.8;
constexpr double kHueTolerance = 40;  // degrees: faint edge pixels counted in an object
constexpr int kMaxBlur = 3;  // box blurs tried on each template
constexpr double kPi = 3.14159265358979323846;

double hue_of(int r, int g, int b) {
  int mx = std::max({r, g, b}), mn = std::min({r, g, b}), c = mx - mn;
  if (c == 0) return 0;
  double h;
  if (mx == r) h = std::fmod(double(g - b) / c + 6, 6);
  else if (mx == g) h = double(b - r) / c + 2;
  else h = double(r - g) / c + 4;
  return h * 60;
}

int nearest_colour(double hue) {
  static const std::array<double, kColours> hues = [] {
    std::array<double, kColours> h{};
    for (int i = 0; i < kColours; ++i) {
      Rgb c = rgb_of(Colour(i));
      h[i] = hue_of(c.r, c.g, c.b);
    }
    return h;
  }();
  int best = 0;
  double best_distance = 1e9;
  for (int i = 0; i < kColours; ++i) {
    double d = std::abs(hue - hues[i]);
    d = std::min(d, 360 - d);
    if (d < best_distance) best_distance = d, best = i;
  }
  return best;
}

// A 3x3 box blur of a w x h map, zero outside.
std::vector<double> box_blur(const std::vector<double>& map, int w, int h) {
  std::vector<double> out(map.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double sum = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx)
          if (x + dx >= 0 && x + dx < w && y + dy >= 0 && y + dy < h) sum += map[size_t(y + dy) * w + (x + dx)];
      out[size_t(y) * w + x] = sum / 9;
    }
  return out;
}

double fill_of(Shape shape) { return shape == Shape::Square ? 1.0 : shape == Shape::Circle ? kPi / 4 : 0.5; }

}  // namespace

Size size_of_extent(double extent) {
  double small = extent_of(Size::Small), medium = extent_of(Size::Medium), large = extent_of(Size::Large);
  if (extent < (small + medium) / 2) return Size::Small;
  if (extent < (medium + large) / 2) return Size::Medium;
  return Size::Large;
}

std::vector<Detection> detect(const media::Image& image) {
  const int w = image.width, h = image.height;
  const size_t n = size_t(w) * h;
  std::vector<int> chroma(n), label(n, -1), component(n, -1);
  std::vector<double> hue(n, 0);
  for (size_t i = 0; i < n; ++i) {
    int r = image.rgb[i * 3], g = image.rgb[i * 3 + 1], b = image.rgb[i * 3 + 2];
    chroma[i] = std::max({r, g, b}) - std::min({r, g, b});
    hue[i] = hue_of(r, g, b);
    if (chroma[i] >= kFaintChroma) label[i] = nearest_colour(hue[i]);
  }
  const double scale = double(kWorldSize) / std::max(w, h);  // world units per pixel
  const double min_pixels = 0.4 * fill_of(Shape::Triangle) * std::pow(extent_of(Size::Small) / scale, 2);

  std::vector<Detection> found;
  std::vector<size_t> stack, members;
  int components = 0;
  for (size_t seed = 0; seed < n; ++seed) {
    if (component[seed] >= 0 || chroma[seed] < kMinChroma) continue;
    // Flood the strong pixels (8-connected), whatever their hue: world objects never touch,
    // and a decoder's reconstruction may speckle a yellow object with orange.
    const int id = components++;
    members.clear();
    stack.assign(1, seed);
    component[seed] = id;
    while (!stack.empty()) {
      size_t p = stack.back();
      stack.pop_back();
      members.push_back(p);
      int px = int(p % w), py = int(p / w);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          int qx = px + dx, qy = py + dy;
          if (qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
          size_t q = size_t(qy) * w + qx;
          if (component[q] >= 0 || chroma[q] < kMinChroma) continue;
          component[q] = id;
          stack.push_back(q);
        }
    }
    if (double(members.size()) < min_pixels) continue;

    // Full chroma: the 90th percentile of the component (its interior).
    std::vector<int> strengths;
    for (size_t p : members) strengths.push_back(chroma[p]);
    std::nth_element(strengths.begin(), strengths.begin() + long(strengths.size() * 9 / 10), strengths.end());
    double full = strengths[strengths.size() * 9 / 10];

    // The component's own colour: the mean of its most saturated pixels. Coverage is the
    // projection of a pixel on the line from the background to that colour, which keeps the
    // luma's full resolution where JPEG halves the chroma's.
    double colour_rgb[3] = {0, 0, 0}, strong = 0;
    for (size_t p : members)
      if (chroma[p] >= 0.9 * full) {
        for (int c = 0; c < 3; ++c) colour_rgb[c] += image.rgb[p * 3 + c];
        ++strong;
      }
    // Its colour: the palette colour nearest the hue of that mean.
    const double own_hue = hue_of(int(colour_rgb[0] / strong), int(colour_rgb[1] / strong), int(colour_rgb[2] / strong));
    const int colour = nearest_colour(own_hue);
    auto near_hue = [&](size_t p) {
      double d = std::abs(hue[p] - own_hue);
      return std::min(d, 360 - d) <= kHueTolerance;
    };
    const double background[3] = {kBackground.r, kBackground.g, kBackground.b};
    double direction[3], length2 = 0;
    for (int c = 0; c < 3; ++c) {
      direction[c] = colour_rgb[c] / strong - background[c];
      length2 += direction[c] * direction[c];
    }
    auto coverage_of = [&](size_t p) {
      double dot = 0;
      for (int c = 0; c < 3; ++c) dot += (image.rgb[p * 3 + c] - background[c]) * direction[c];
      return std::clamp(dot / length2, 0.0, 1.0);
    };

    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (size_t p : members) {
      x0 = std::min(x0, int(p % w)), x1 = std::max(x1, int(p % w));
      y0 = std::min(y0, int(p / w)), y1 = std::max(y1, int(p / w));
    }
    // The coverage map over the component's box and a two-pixel margin: faint edge pixels
    // of the same hue count, pixels of other components do not.
    const int margin = 2;
    x0 = std::max(0, x0 - margin), y0 = std::max(0, y0 - margin);
    x1 = std::min(w - 1, x1 + margin), y1 = std::min(h - 1, y1 + margin);
    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    std::vector<double> cover(size_t(bw) * bh, 0);
    double area = 0, sx = 0, sy = 0;
    int covered = 0, perimeter = 0, cx0 = w, cy0 = h, cx1 = -1, cy1 = -1;
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        size_t p = size_t(y) * w + x;
        if (component[p] != id && (component[p] >= 0 || label[p] < 0 || !near_hue(p))) continue;
        double c = coverage_of(p);
        cover[size_t(y - y0) * bw + (x - x0)] = c;
        area += c;
        sx += c * (x + 0.5);
        sy += c * (y + 0.5);
      }
    if (area <= 0) continue;
    // Binary measures on the half-covered pixels: fill of the bounding box, circularity.
    auto half_covered = [&](int x, int y) {
      return x >= x0 && x <= x1 && y >= y0 && y <= y1 && cover[size_t(y - y0) * bw + (x - x0)] >= 0.5;
    };
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        if (!half_covered(x, y)) continue;
        ++covered;
        cx0 = std::min(cx0, x), cx1 = std::max(cx1, x), cy0 = std::min(cy0, y), cy1 = std::max(cy1, y);
        perimeter += !half_covered(x - 1, y) + !half_covered(x + 1, y) + !half_covered(x, y - 1) + !half_covered(x, y + 1);
      }

    Detection d;
    d.colour = Colour(colour);
    d.area = area * scale * scale;
    d.fill = covered ? double(covered) / (double(cx1 - cx0 + 1) * (cy1 - cy0 + 1)) : 0;
    // Pixel-edge perimeters overestimate diagonal edges by 4/pi on average: undone here.
    d.circularity = perimeter ? 4 * kPi * covered / std::pow(perimeter * kPi / 4, 2) : 0;
    const double mx = sx / area * scale, my = sy / area * scale;
    d.mismatch = 1e9;
    const int size = std::max(w, h);
    for (int s = 0; s < kShapes; ++s) {
      Shape shape = Shape(s);
      double extent = std::sqrt(d.area / fill_of(shape));
      // A triangle's centroid lies a third of its half-height below its box's centre.
      double x = mx, y = shape == Shape::Triangle ? my - extent / 6 : my;
      std::vector<double> shape_map(cover.size());
      for (int py = y0; py <= y1; ++py)
        for (int px = x0; px <= x1; ++px)
          shape_map[size_t(py - y0) * bw + (px - x0)] = coverage(shape, x, y, extent, px, py, size) / 16.0;
      // Sharp, or as blurred as a decoder's reconstruction may be: the closest counts.
      double mismatch = 1e9;
      for (int blur = 0; blur <= kMaxBlur; ++blur) {
        if (blur) shape_map = box_blur(shape_map, bw, bh);
        double sum = 0;
        for (size_t i = 0; i < cover.size(); ++i) sum += std::abs(cover[i] - shape_map[i]);
        mismatch = std::min(mismatch, sum / area);
      }
      if (mismatch < d.mismatch) {
        d.mismatch = mismatch;
        d.shape = shape;
        d.extent = extent;
        d.x = x;
        d.y = y;
      }
    }
    d.size = size_of_extent(d.extent);
    // Smaller than any world shape and like none of them: a fringe of a neighbour's colour
    // (orange bleeds into yellow under chroma subsampling), not an object.
    if (d.mismatch > kShapelessMismatch && d.area < fill_of(Shape::Triangle) * std::pow(extent_of(Size::Small), 2))
      continue;
    found.push_back(d);
  }
  std::stable_sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) { return a.area > b.area; });
  return found;
}

}  // namespace mm::world
