// Still images to and from bytes: PNG through libpng, every other format FFmpeg reads
// (JPEG, WebP, BMP, TIFF, GIF's first frame, ...) through libavformat/libavcodec, and
// JPEG and WebP written through FFmpeg's encoders.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "media/image.h"

namespace mm::media {

// The largest side accepted anywhere: beyond it an image is refused, not decoded, so a
// header claiming 100000x100000 pixels cannot make a program allocate 30 GB.
constexpr int kMaxImageSide = 16384;

// Decodes a whole image file held in memory. Transparent pixels are composited onto
// white. `name` is for messages. Throws mm::Error for empty, corrupt or unsupported data,
// or sides beyond kMaxImageSide.
Image decode_image(std::string_view bytes, const std::string& name);

// Reads and decodes a file (a directory, a missing or empty file: mm::Error).
Image read_image(const std::string& path);

enum class ImageFormat { Png, Jpeg, Webp };

// "png", "jpeg" (or "jpg"), "webp"; throws mm::UsageError for anything else.
ImageFormat image_format_named(const std::string& name);
// From a file name's extension; Png when it has none that we write.
ImageFormat image_format_of_path(const std::string& path, bool& known);
const char* extension_of(ImageFormat format);  // ".png"

struct EncodeOptions {
  // JPEG: FFmpeg's quantiser scale 2 (best) to 31 (smallest); WebP: quality 0-100.
  // 0: the format's default (JPEG 3, WebP 90).
  int quality = 0;
};

// The file's bytes. Throws mm::Error when the encoder is missing or fails.
std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, const EncodeOptions& options = {});

}  // namespace mm::media
