#include "media/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include <libswscale/swscale.h>
}

#include "error.h"
#include "media/image_io.h"

namespace mm::media {

namespace {

// RGB rows at a 64-byte-aligned start and stride.
struct AlignedRows {
  int stride;
  std::vector<uint8_t> bytes;
  uint8_t* first;
  AlignedRows(int width, int height)
      : stride((width * 3 + 63) / 64 * 64), bytes(size_t(stride) * height + 64) {
    first = bytes.data() + (64 - reinterpret_cast<uintptr_t>(bytes.data()) % 64) % 64;
  }
  uint8_t* row(int y) { return first + size_t(y) * stride; }
};

int parse_side(const std::string& text, const std::string& whole) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError("--size " + whole + ": give N (the long side) or WxH, in pixels");
  int side = std::stoi(text);
  if (side < 1 || side > kMaxImageSide)
    throw UsageError("--size " + whole + ": sides must be 1 to " + std::to_string(kMaxImageSide) + " pixels");
  return side;
}

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

SizePolicy parse_size(const std::string& text) {
  SizePolicy policy;
  auto x = text.find('x');
  if (x == std::string::npos) {
    policy.width = policy.height = parse_side(text, text);
    policy.long_side = true;
  } else {
    policy.width = parse_side(text.substr(0, x), text);
    policy.height = parse_side(text.substr(x + 1), text);
    policy.long_side = false;
  }
  return policy;
}

Fit parse_fit(const std::string& text) {
  if (text == "pad") return Fit::Pad;
  if (text == "crop") return Fit::Crop;
  throw UsageError("--fit must be pad or crop, not " + text);
}

const char* fit_name(Fit fit) { return fit == Fit::Crop ? "crop" : "pad"; }

Placement place(int source_width, int source_height, const SizePolicy& policy, int multiple) {
  if (source_width < 1 || source_height < 1 || multiple < 1) throw Error("cannot place an empty picture");
  Placement p;
  double sw = source_width, sh = source_height;
  if (policy.long_side) {
    double scale = std::min(1.0, policy.width / std::max(sw, sh));
    p.scaled_width = std::max(1, int(std::lround(sw * scale)));
    p.scaled_height = std::max(1, int(std::lround(sh * scale)));
    p.content_width = p.scaled_width;
    p.content_height = p.scaled_height;
    p.frame_width = round_up(p.content_width, multiple);
    p.frame_height = round_up(p.content_height, multiple);
    return p;
  }
  int W = policy.width, H = policy.height;
  if (policy.fit == Fit::Pad) {
    double scale = std::min(W / sw, H / sh);
    p.scaled_width = std::clamp(int(std::lround(sw * scale)), 1, W);
    p.scaled_height = std::clamp(int(std::lround(sh * scale)), 1, H);
    p.content_width = p.scaled_width;
    p.content_height = p.scaled_height;
    p.x = (W - p.scaled_width) / 2;
    p.y = (H - p.scaled_height) / 2;
  } else {
    double scale = std::max(W / sw, H / sh);
    p.scaled_width = std::max(W, int(std::lround(sw * scale)));
    p.scaled_height = std::max(H, int(std::lround(sh * scale)));
    p.crop_x = (p.scaled_width - W) / 2;
    p.crop_y = (p.scaled_height - H) / 2;
    p.content_width = W;
    p.content_height = H;
  }
  p.frame_width = round_up(W, multiple);
  p.frame_height = round_up(H, multiple);
  return p;
}

Image resize(const Image& image, int width, int height) {
  if (image.width == width && image.height == height) return image;
  bool shrink = width < image.width || height < image.height;
  SwsContext* sws = sws_getContext(image.width, image.height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_RGB24,
                                   (shrink ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  if (!sws) throw Error("cannot resize " + std::to_string(image.width) + "x" + std::to_string(image.height) + " to " +
                        std::to_string(width) + "x" + std::to_string(height));
  // swscale picks its code paths by the buffers' alignment, and they round differently: rows
  // copied to 64-byte-aligned buffers with 64-byte strides make the result the same wherever
  // the caller's pixels happen to lie (a codebook fit gave other bytes for other argument orders).
  AlignedRows in(image.width, image.height), scaled(width, height);
  for (int y = 0; y < image.height; ++y)
    std::memcpy(in.row(y), &image.rgb[size_t(y) * image.width * 3], size_t(image.width) * 3);
  const uint8_t* src[4] = {in.row(0), nullptr, nullptr, nullptr};
  int src_stride[4] = {in.stride, 0, 0, 0};
  uint8_t* dst[4] = {scaled.row(0), nullptr, nullptr, nullptr};
  int dst_stride[4] = {scaled.stride, 0, 0, 0};
  sws_scale(sws, src, src_stride, 0, image.height, dst, dst_stride);
  sws_freeContext(sws);
  Image out;
  out.width = width;
  out.height = height;
  out.rgb.resize(size_t(width) * height * 3);
  for (int y = 0; y < height; ++y) std::memcpy(&out.rgb[size_t(y) * width * 3], scaled.row(y), size_t(width) * 3);
  return out;
}

Image compose(const Image& scaled, const Placement& p) {
  Image frame;
  frame.width = p.frame_width;
  frame.height = p.frame_height;
  frame.rgb.resize(size_t(frame.width) * frame.height * 3);
  for (int y = 0; y < frame.height; ++y) {
    // The nearest content pixel: padding repeats the picture's edges.
    int cy = std::clamp(y - p.y, 0, p.content_height - 1) + p.crop_y;
    cy = std::min(cy, scaled.height - 1);
    const uint8_t* row = &scaled.rgb[size_t(cy) * scaled.width * 3];
    uint8_t* out = &frame.rgb[size_t(y) * frame.width * 3];
    for (int x = 0; x < frame.width; ++x) {
      int cx = std::min(std::clamp(x - p.x, 0, p.content_width - 1) + p.crop_x, scaled.width - 1);
      std::memcpy(out + size_t(x) * 3, row + size_t(cx) * 3, 3);
    }
  }
  return frame;
}

Image crop(const Image& frame, int x, int y, int width, int height) {
  if (x < 0 || y < 0 || width < 1 || height < 1 || x + width > frame.width || y + height > frame.height)
    throw Error("the picture region " + std::to_string(width) + "x" + std::to_string(height) + "+" +
                std::to_string(x) + "+" + std::to_string(y) + " does not lie in the " + std::to_string(frame.width) +
                "x" + std::to_string(frame.height) + " frame");
  Image out;
  out.width = width;
  out.height = height;
  out.rgb.resize(size_t(width) * height * 3);
  for (int r = 0; r < height; ++r)
    std::memcpy(&out.rgb[size_t(r) * width * 3], &frame.rgb[(size_t(y + r) * frame.width + x) * 3], size_t(width) * 3);
  return out;
}

}  // namespace mm::media
