// Image tokenizer quality against JPEG at the same bits per pixel, on real photos.
// Usage: mm-bench-image CODEBOOK SIZE PHOTO...
// For each residual level count: codes per image, bits per pixel (codes * log2(vocabulary)
// / pixels), PSNR and SSIM of tokenize -> render against the photo at the tokenized size;
// beside it, JPEG through FFmpeg at that bits per pixel (PSNR and SSIM interpolated between
// the two quantiser scales that bracket it).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "error.h"
#include "media/image_io.h"
#include "media/quality.h"
#include "media/resize.h"
#include "tokenize/image_tokenizer.h"

using namespace mm;

namespace {

struct Point {
  double bpp, psnr, ssim;
};

// JPEG at every quantiser scale, smallest file first.
std::vector<Point> jpeg_curve(const media::Image& picture) {
  std::vector<Point> curve;
  for (int q = 31; q >= 2; --q) {
    auto bytes = media::encode_image(picture, media::ImageFormat::Jpeg, {q});
    media::Image back = media::decode_image(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "jpeg");
    curve.push_back({bytes.size() * 8.0 / (double(picture.width) * picture.height), media::psnr(picture, back),
                     media::ssim(picture, back)});
  }
  return curve;
}

// The curve at `bpp`; false (and the cheapest point) when JPEG cannot go that low.
bool at_bpp(const std::vector<Point>& curve, double bpp, Point& out) {
  if (bpp < curve.front().bpp) {
    out = curve.front();
    return false;
  }
  for (size_t i = 1; i < curve.size(); ++i)
    if (bpp <= curve[i].bpp) {
      const Point &a = curve[i - 1], &b = curve[i];
      double t = b.bpp > a.bpp ? (bpp - a.bpp) / (b.bpp - a.bpp) : 0;
      out = {bpp, a.psnr + t * (b.psnr - a.psnr), a.ssim + t * (b.ssim - a.ssim)};
      return true;
    }
  out = curve.back();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: mm-bench-image CODEBOOK SIZE PHOTO...\n");
    return 2;
  }
  try {
    auto tokenizer = tokenize::ImageTokenizer::load(argv[1]);
    // MM_EXACT=1: the exact nearest-code search instead of the default approximate one.
    if (const char* exact = std::getenv("MM_EXACT"); exact && std::string(exact) == "1") tokenizer.set_search(0, 0);
    // MM_BEAM=N: the residual levels' beam width instead of the default.
    if (const char* beam = std::getenv("MM_BEAM")) tokenizer.set_beam(std::atoi(beam));
    media::SizePolicy policy = media::parse_size(argv[2]);
    int levels = tokenizer.levels();
    double bits = std::log2(double(tokenizer.vocab_size()));
    struct Sum {
      double codes = 0, bpp = 0, psnr = 0, ssim = 0, jpeg_psnr = 0, jpeg_ssim = 0, seconds = 0;
      int below_jpeg = 0;
    };
    std::vector<Sum> sums(levels);
    int photos = argc - 3;
    std::printf("image bench: %s (%d levels of %u codes, %d-pixel patches), --size %s, %d held-out photos\n",
                tokenizer.id().c_str(), levels, tokenizer.vocab_size(), tokenizer.patch(), argv[2], photos);
    std::printf("%-22s %6s %5s %7s %7s %7s %7s %7s\n", "photo", "levels", "codes", "bpp", "PSNR", "SSIM", "JPEG dB", "JPEG SSIM");
    for (int i = 3; i < argc; ++i) {
      media::Image photo = media::read_image(argv[i]);
      media::Placement p = media::place(photo.width, photo.height, policy, tokenizer.patch());
      media::Image scaled = media::resize(photo, p.scaled_width, p.scaled_height);
      media::Image frame = media::compose(scaled, p);
      media::Image truth = media::crop(frame, p.x, p.y, p.content_width, p.content_height);
      auto curve = jpeg_curve(truth);
      std::string name = argv[i];
      name = name.substr(name.rfind('/') + 1);
      for (int l = 1; l <= levels; ++l) {
        std::vector<uint32_t> codes;
        auto start = std::chrono::steady_clock::now();
        tokenizer.encode(frame, l, codes);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        media::Image back = media::crop(tokenizer.decode(codes.data(), codes.size(), frame.width / tokenizer.patch(),
                                                         frame.height / tokenizer.patch(), l),
                                        p.x, p.y, p.content_width, p.content_height);
        double bpp = codes.size() * bits / (double(truth.width) * truth.height);
        Point jpeg;
        bool reachable = at_bpp(curve, bpp, jpeg);
        double q = media::psnr(truth, back), s = media::ssim(truth, back);
        std::printf("%-22s %6d %5zu %7.3f %7.2f %7.4f %6.2f%s %7.4f\n", name.c_str(), l, codes.size(), bpp, q, s, jpeg.psnr,
                    reachable ? " " : "*", jpeg.ssim);
        Sum& sum = sums[l - 1];
        sum.codes += codes.size();
        sum.bpp += bpp;
        sum.psnr += q;
        sum.ssim += s;
        sum.jpeg_psnr += jpeg.psnr;
        sum.jpeg_ssim += jpeg.ssim;
        sum.seconds += seconds;
        sum.below_jpeg += !reachable;
      }
    }
    std::printf("mean over %d photos (*: JPEG cannot go that low; its smallest file is shown, at more bits)\n", photos);
    std::printf("%6s %7s %7s %7s %7s %9s %9s %8s %10s\n", "levels", "codes", "bpp", "PSNR", "SSIM", "JPEG dB", "JPEG SSIM",
                "VQ-JPEG", "encode ms");
    for (int l = 0; l < levels; ++l) {
      const Sum& s = sums[l];
      std::printf("%6d %7.0f %7.3f %7.2f %7.4f %8.2f%s %9.4f %+8.2f %10.1f\n", l + 1, s.codes / photos, s.bpp / photos,
                  s.psnr / photos, s.ssim / photos, s.jpeg_psnr / photos, s.below_jpeg ? "*" : " ",
                  s.jpeg_ssim / photos, (s.psnr - s.jpeg_psnr) / photos, s.seconds / photos * 1000);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mm-bench-image: %s\n", e.what());
    return 1;
  }
}
