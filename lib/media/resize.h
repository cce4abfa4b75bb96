// The resize policy every visual input goes through before tokenization.
//
//   --size N      the long side becomes N, the aspect is kept, and images are never
//                 enlarged (a 64x48 icon stays 64x48: enlarging spends codes on no detail).
//   --size WxH    the frame is exactly WxH: the picture is scaled (up or down) to fit inside
//                 and the rest padded (--fit pad, the default: nothing of the picture is
//                 lost), or scaled to cover WxH and the overflow cut, centred (--fit crop).
//
// The default is --size 256 for images and video: a 4:3 photo becomes 256x192, which at
// the default 8-pixel patches is 32x24 patches. Keeping the aspect instead of padding to a
// square spends no codes on padding. The frame's sides are finally rounded up to a multiple
// of the tokenizer's patch by repeating the last row and column; the metadata records where
// the picture lies in the frame, so rendering cuts the padding away again.
#pragma once

#include <string>

#include "media/image.h"

namespace mm::media {

enum class Fit { Pad, Crop };

struct SizePolicy {
  int width = 256, height = 256;
  bool long_side = true;  // --size N
  Fit fit = Fit::Pad;
};

// "256" or "320x240"; throws mm::UsageError for anything else or sides beyond 16384.
SizePolicy parse_size(const std::string& text);
Fit parse_fit(const std::string& text);  // "pad" or "crop"
const char* fit_name(Fit fit);

// Where a source picture goes: scaled to scaled_width x scaled_height, then that picture's
// region starting at (crop_x, crop_y) placed at (x, y) of a frame_width x frame_height frame,
// content_width x content_height pixels of it.
struct Placement {
  int scaled_width = 0, scaled_height = 0;
  int crop_x = 0, crop_y = 0;
  int x = 0, y = 0;
  int content_width = 0, content_height = 0;
  int frame_width = 0, frame_height = 0;
};

// `multiple`: the frame's sides are rounded up to it (the tokenizer's patch).
Placement place(int source_width, int source_height, const SizePolicy& policy, int multiple);

// Scales with libswscale (area averaging when shrinking, bicubic when enlarging).
Image resize(const Image& image, int width, int height);

// `scaled` (already scaled_width x scaled_height) into the frame, padding by repeating edges.
Image compose(const Image& scaled, const Placement& placement);

// The picture region of a frame: what rendering writes.
Image crop(const Image& frame, int x, int y, int width, int height);

}  // namespace mm::media
