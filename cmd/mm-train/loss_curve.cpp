#include "loss_curve.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "error.h"
#include "media/image.h"
#include "media/image_io.h"

namespace mm::train {

void write_loss_csv(const std::string& path, const std::vector<LossPoint>& points) {
  std::ofstream out(path + ".tmp");
  out << "step,loss,lr,grad_norm,ids,scored,seconds,pair_loss\n";
  char line[256];
  for (const LossPoint& p : points) {
    std::snprintf(line, sizeof line, "%llu,%.6f,%.6g,%.6g,%llu,%llu,%.4f,%.6f\n", (unsigned long long)p.step, p.loss, p.lr,
                  p.grad_norm, (unsigned long long)p.ids, (unsigned long long)p.scored, p.seconds, p.pair_loss);
    out << line;
  }
  out.close();
  if (!out) throw Error(path + ": cannot write the loss curve");
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) throw Error(path + ": cannot write the loss curve");
}

std::vector<LossPoint> read_loss_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read the loss curve");
  std::vector<LossPoint> points;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    LossPoint p;
    unsigned long long step, ids, scored;
    const int fields = std::sscanf(line.c_str(), "%llu,%lf,%lf,%lf,%llu,%llu,%lf,%lf", &step, &p.loss, &p.lr,
                                   &p.grad_norm, &ids, &scored, &p.seconds, &p.pair_loss);
    if (fields != 7 && fields != 8)  // 7: written before pair_loss was
      throw Error(path + ": line " + std::to_string(points.size() + 2) + ": not a loss row");
    p.step = step, p.ids = ids, p.scored = scored;
    points.push_back(p);
  }
  return points;
}

double mean_loss(const std::vector<LossPoint>& points, size_t count, bool last) {
  count = std::min(count, points.size());
  if (count == 0) return NAN;
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += points[last ? points.size() - 1 - i : i].loss;
  return sum / double(count);
}

namespace {

// A 3x5 pixel font for the axis labels: digits, '.', '-', 'e', '+'.
const char* glyph(char c) {
  switch (c) {
    case '0': return "111101101101111";
    case '1': return "010110010010111";
    case '2': return "111001111100111";
    case '3': return "111001111001111";
    case '4': return "101101111001001";
    case '5': return "111100111001111";
    case '6': return "111100111101111";
    case '7': return "111001010010010";
    case '8': return "111101111101111";
    case '9': return "111101111001111";
    case '.': return "000000000000010";
    case '-': return "000000111000000";
    case '+': return "000010111010000";
    case 'e': return "000111101110111";
    default: return "000000000000000";
  }
}

struct Canvas {
  media::Image image;
  Canvas(int w, int h) {
    image.width = w, image.height = h;
    image.rgb.assign(size_t(w) * h * 3, 255);
  }
  void dot(int x, int y, const uint8_t colour[3]) {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
    uint8_t* p = &image.rgb[(size_t(y) * image.width + x) * 3];
    p[0] = colour[0], p[1] = colour[1], p[2] = colour[2];
  }
  // Bresenham, `thick` pixels wide.
  void line(int x0, int y0, int x1, int y1, const uint8_t colour[3], int thick = 1) {
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (;;) {
      for (int a = 0; a < thick; ++a)
        for (int b = 0; b < thick; ++b) dot(x0 + a, y0 + b, colour);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  void text(int x, int y, const std::string& s, const uint8_t colour[3], int scale = 2) {
    for (char c : s) {
      const char* g = glyph(c);
      for (int r = 0; r < 5; ++r)
        for (int q = 0; q < 3; ++q)
          if (g[r * 3 + q] == '1')
            for (int a = 0; a < scale; ++a)
              for (int b = 0; b < scale; ++b) dot(x + q * scale + a, y + r * scale + b, colour);
      x += 4 * scale;
    }
  }
};

std::string number(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.3g", v);
  return s;
}

}  // namespace

void write_loss_png(const std::string& path, const std::vector<LossPoint>& points) {
  const int W = 800, H = 420, left = 70, right = 20, top = 20, bottom = 40;
  Canvas canvas(W, H);
  const uint8_t axis[3] = {80, 80, 80}, grid[3] = {225, 225, 225}, raw[3] = {160, 190, 235}, smooth[3] = {20, 60, 170};
  const int x0 = left, x1 = W - right, y0 = H - bottom, y1 = top;
  for (int k = 1; k < 4; ++k) canvas.line(x0, y0 + (y1 - y0) * k / 4, x1, y0 + (y1 - y0) * k / 4, grid);
  canvas.line(x0, y0, x1, y0, axis);
  canvas.line(x0, y0, x0, y1, axis);
  if (!points.empty()) {
    double lo = points[0].loss, hi = points[0].loss;
    for (const LossPoint& p : points)
      if (std::isfinite(p.loss)) lo = std::min(lo, p.loss), hi = std::max(hi, p.loss);
    if (hi - lo < 1e-9) hi = lo + 1;
    // A loss that falls by more than 10x is drawn on a log scale, so the late steps show.
    const bool logarithmic = lo > 0 && hi / lo > 10;
    auto scale = [&](double v) { return logarithmic ? std::log(v) : v; };
    const double first = double(points.front().step), last = double(std::max(points.back().step, points.front().step + 1));
    auto px = [&](double step) { return int(std::lround(x0 + (step - first) / (last - first) * (x1 - x0))); };
    auto py = [&](double loss) {
      return int(std::lround(y0 - (scale(loss) - scale(lo)) / (scale(hi) - scale(lo)) * (y0 - y1)));
    };
    // The moving average's window: about 2% of the run.
    const double alpha = 2.0 / (1.0 + std::max<double>(1.0, double(points.size()) / 50.0));
    double average = points[0].loss;
    int px_prev = px(first), raw_prev = py(points[0].loss), avg_prev = raw_prev;
    for (const LossPoint& p : points) {
      if (!std::isfinite(p.loss)) continue;
      average += alpha * (p.loss - average);
      int x = px(double(p.step)), yr = py(p.loss);
      canvas.line(px_prev, raw_prev, x, yr, raw);
      px_prev = x, raw_prev = yr;
    }
    px_prev = px(first), average = points[0].loss;
    for (const LossPoint& p : points) {
      if (!std::isfinite(p.loss)) continue;
      average += alpha * (p.loss - average);
      int x = px(double(p.step)), ya = py(average);
      canvas.line(px_prev, avg_prev, x, ya, smooth, 2);
      px_prev = x, avg_prev = ya;
    }
    canvas.text(4, y1, number(hi), axis);
    canvas.text(4, y0 - 10, number(lo), axis);
    if (logarithmic) canvas.text(4, (y0 + y1) / 2 - 5, number(std::exp((scale(hi) + scale(lo)) / 2)), axis);
    canvas.text(x0, y0 + 10, std::to_string(points.front().step), axis);
    std::string end = std::to_string(points.back().step);
    canvas.text(x1 - int(end.size()) * 8, y0 + 10, end, axis);
  }
  std::vector<uint8_t> png = media::encode_image(canvas.image, media::ImageFormat::Png);
  std::ofstream out(path + ".tmp", std::ios::binary);
  out.write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  out.close();
  if (!out || std::rename((path + ".tmp").c_str(), path.c_str()) != 0) throw Error(path + ": cannot write the loss plot");
}

}  // namespace mm::train
