#include "media/quality.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "error.h"

namespace mm::media {

namespace {

void same_size(const Image& a, const Image& b) {
  if (a.width != b.width || a.height != b.height || a.rgb.size() != b.rgb.size())
    throw Error("cannot compare a " + std::to_string(a.width) + "x" + std::to_string(a.height) + " image with a " +
                std::to_string(b.width) + "x" + std::to_string(b.height) + " one");
}

std::vector<double> luma(const Image& image) {
  std::vector<double> y(size_t(image.width) * image.height);
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = 0.299 * image.rgb[i * 3] + 0.587 * image.rgb[i * 3 + 1] + 0.114 * image.rgb[i * 3 + 2];
  return y;
}

// Separable Gaussian blur with edges clamped.
std::vector<double> blur(const std::vector<double>& in, int w, int h) {
  static const std::vector<double> kernel = [] {
    std::vector<double> k(11);
    double total = 0;
    for (int i = 0; i < 11; ++i) total += k[i] = std::exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
    for (double& v : k) v /= total;
    return k;
  }();
  std::vector<double> tmp(in.size()), out(in.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      for (int i = 0; i < 11; ++i) s += kernel[i] * in[size_t(y) * w + std::clamp(x + i - 5, 0, w - 1)];
      tmp[size_t(y) * w + x] = s;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      for (int i = 0; i < 11; ++i) s += kernel[i] * tmp[size_t(std::clamp(y + i - 5, 0, h - 1)) * w + x];
      out[size_t(y) * w + x] = s;
    }
  return out;
}

}  // namespace

double psnr(const Image& a, const Image& b) {
  same_size(a, b);
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) {
    double d = double(a.rgb[i]) - b.rgb[i];
    sum += d * d;
  }
  if (sum == 0) return 99;
  return 10 * std::log10(255.0 * 255.0 / (sum / double(a.rgb.size())));
}

double ssim(const Image& a, const Image& b) {
  same_size(a, b);
  int w = a.width, h = a.height;
  std::vector<double> x = luma(a), y = luma(b), xx(x.size()), yy(x.size()), xy(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  auto mx = blur(x, w, h), my = blur(y, w, h), sxx = blur(xx, w, h), syy = blur(yy, w, h), sxy = blur(xy, w, h);
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cov = sxy[i] - mx[i] * my[i];
    total += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return total / double(x.size());
}

}  // namespace mm::media
