#include "media/image_io.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>

#include <png.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "error.h"
#include "media/ffmpeg_support.h"

namespace mm::media {

namespace {

constexpr size_t kMaxImageFileBytes = size_t(1) << 30;

void check_sides(int width, int height, const std::string& name) {
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide)
    throw Error(name + ": image of " + std::to_string(width) + "x" + std::to_string(height) +
                " pixels (sides must be 1 to " + std::to_string(kMaxImageSide) + ")");
}

bool is_png(std::string_view bytes) { return bytes.size() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0; }

Image decode_png(std::string_view bytes, const std::string& name) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw Error(name + ": not a readable PNG (" + png.message + ")");
  // The header is read: refuse absurd sides before allocating anything.
  try {
    check_sides(int(std::min<png_uint_32>(png.width, 1u << 30)), int(std::min<png_uint_32>(png.height, 1u << 30)), name);
  } catch (...) {
    png_image_free(&png);
    throw;
  }
  png.format = PNG_FORMAT_RGB;
  Image image;
  image.width = int(png.width);
  image.height = int(png.height);
  image.rgb.assign(size_t(image.width) * image.height * 3, 255);
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&png, &white, image.rgb.data(), 0, nullptr))
    throw Error(name + ": corrupt PNG (" + png.message + ")");
  return image;
}

// FFmpeg reads from our buffer through a custom I/O context.
struct MemoryReader {
  std::string_view bytes;
  size_t position = 0;

  static int read(void* opaque, uint8_t* buffer, int size) {
    auto* self = static_cast<MemoryReader*>(opaque);
    size_t n = std::min(size_t(size), self->bytes.size() - self->position);
    if (n == 0) return AVERROR_EOF;
    std::memcpy(buffer, self->bytes.data() + self->position, n);
    self->position += n;
    return int(n);
  }

  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* self = static_cast<MemoryReader*>(opaque);
    if (whence == AVSEEK_SIZE) return int64_t(self->bytes.size());
    int64_t base = whence == SEEK_CUR ? int64_t(self->position) : whence == SEEK_END ? int64_t(self->bytes.size()) : 0;
    int64_t target = base + offset;
    if (target < 0 || target > int64_t(self->bytes.size())) return -1;
    self->position = size_t(target);
    return target;
  }
};

struct FfmpegImage {
  AVIOContext* io = nullptr;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;
  ~FfmpegImage() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

// Composites RGBA onto white into `image`.
void rgba_to_rgb(const std::vector<uint8_t>& rgba, Image& image) {
  size_t pixels = size_t(image.width) * image.height;
  image.rgb.resize(pixels * 3);
  for (size_t i = 0; i < pixels; ++i) {
    unsigned a = rgba[i * 4 + 3];
    for (int c = 0; c < 3; ++c)
      image.rgb[i * 3 + c] = uint8_t((rgba[i * 4 + c] * a + 255 * (255 - a) + 127) / 255);
  }
}

Image decode_ffmpeg(std::string_view bytes, const std::string& name) {
  quiet_ffmpeg();
  FfmpegImage f;
  MemoryReader reader{bytes};
  constexpr int kBuffer = 1 << 16;
  auto* buffer = static_cast<uint8_t*>(av_malloc(kBuffer));
  f.io = avio_alloc_context(buffer, kBuffer, 0, &reader, &MemoryReader::read, nullptr, &MemoryReader::seek);
  f.format = avformat_alloc_context();
  if (!f.io || !f.format) throw Error("out of memory");
  f.format->pb = f.io;
  int rc = avformat_open_input(&f.format, nullptr, nullptr, nullptr);
  if (rc < 0) throw Error(name + ": not an image format FFmpeg reads (" + av_error(rc) + ")");
  if ((rc = avformat_find_stream_info(f.format, nullptr)) < 0) throw Error(name + ": " + av_error(rc));
  const AVCodec* decoder = nullptr;
  int stream = av_find_best_stream(f.format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (stream < 0 || !decoder) throw Error(name + ": no picture that FFmpeg can decode");
  const AVCodecParameters* par = f.format->streams[stream]->codecpar;
  check_sides(par->width, par->height, name);
  f.codec = avcodec_alloc_context3(decoder);
  avcodec_parameters_to_context(f.codec, par);
  f.codec->thread_count = 1;
  if ((rc = avcodec_open2(f.codec, decoder, nullptr)) < 0) throw Error(name + ": " + av_error(rc));
  f.packet = av_packet_alloc();
  f.frame = av_frame_alloc();
  bool got = false, flushed = false;
  while (!got) {
    rc = avcodec_receive_frame(f.codec, f.frame);
    if (rc == 0) {
      got = true;
      break;
    }
    if (rc == AVERROR_EOF || (rc != AVERROR(EAGAIN))) break;
    if (flushed) break;
    rc = av_read_frame(f.format, f.packet);
    if (rc < 0) {
      avcodec_send_packet(f.codec, nullptr);
      flushed = true;
      continue;
    }
    if (f.packet->stream_index == stream) avcodec_send_packet(f.codec, f.packet);
    av_packet_unref(f.packet);
  }
  if (!got) throw Error(name + ": corrupt or truncated image (nothing could be decoded)");
  check_sides(f.frame->width, f.frame->height, name);
  Image image;
  image.width = f.frame->width;
  image.height = f.frame->height;
  std::vector<uint8_t> rgba(size_t(image.width) * image.height * 4);
  f.sws = sws_getContext(image.width, image.height, AVPixelFormat(f.frame->format), image.width, image.height,
                         AV_PIX_FMT_RGBA, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr,
                         nullptr);
  if (!f.sws) throw Error(name + ": cannot convert pixels of this format");
  uint8_t* planes[4] = {rgba.data(), nullptr, nullptr, nullptr};
  int strides[4] = {image.width * 4, 0, 0, 0};
  sws_scale(f.sws, f.frame->data, f.frame->linesize, 0, image.height, planes, strides);
  rgba_to_rgb(rgba, image);
  return image;
}

std::vector<uint8_t> encode_png(const Image& image) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = png_uint_32(image.width);
  png.height = png_uint_32(image.height);
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(png, size, 0, image.rgb.data(), 0, nullptr))
    throw Error(std::string("PNG encoding failed: ") + png.message);
  std::vector<uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.rgb.data(), 0, nullptr))
    throw Error(std::string("PNG encoding failed: ") + png.message);
  bytes.resize(size);
  return bytes;
}

// One frame through an FFmpeg image encoder: its packet is the whole file for mjpeg and libwebp.
std::vector<uint8_t> encode_ffmpeg(const Image& image, ImageFormat format, int quality) {
  quiet_ffmpeg();
  bool jpeg = format == ImageFormat::Jpeg;
  const char* encoder_name = jpeg ? "mjpeg" : "libwebp";
  const AVCodec* encoder = avcodec_find_encoder_by_name(encoder_name);
  if (!encoder) throw Error(std::string("FFmpeg has no ") + encoder_name + " encoder");
  FfmpegImage f;
  f.codec = avcodec_alloc_context3(encoder);
  f.codec->width = image.width;
  f.codec->height = image.height;
  f.codec->time_base = AVRational{1, 25};
  AVPixelFormat pix = jpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
  f.codec->pix_fmt = pix;
  if (jpeg) {
    f.codec->flags |= AV_CODEC_FLAG_QSCALE;
    f.codec->global_quality = FF_QP2LAMBDA * std::clamp(quality ? quality : 3, 2, 31);
  } else {
    av_opt_set_double(f.codec->priv_data, "quality", std::clamp(quality ? quality : 90, 0, 100), 0);
  }
  int rc = avcodec_open2(f.codec, encoder, nullptr);
  if (rc < 0) throw Error(std::string("cannot open the ") + encoder_name + " encoder: " + av_error(rc));
  f.frame = av_frame_alloc();
  f.frame->format = pix;
  f.frame->width = image.width;
  f.frame->height = image.height;
  if (av_frame_get_buffer(f.frame, 0) < 0) throw Error("out of memory");
  f.sws = sws_getContext(image.width, image.height, AV_PIX_FMT_RGB24, image.width, image.height, pix,
                         SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  const uint8_t* planes[4] = {image.rgb.data(), nullptr, nullptr, nullptr};
  int strides[4] = {image.width * 3, 0, 0, 0};
  sws_scale(f.sws, planes, strides, 0, image.height, f.frame->data, f.frame->linesize);
  if (jpeg) f.frame->quality = f.codec->global_quality;
  f.frame->pts = 0;
  f.packet = av_packet_alloc();
  std::vector<uint8_t> bytes;
  if ((rc = avcodec_send_frame(f.codec, f.frame)) < 0) throw Error(std::string("encoding failed: ") + av_error(rc));
  avcodec_send_frame(f.codec, nullptr);
  while ((rc = avcodec_receive_packet(f.codec, f.packet)) == 0) {
    bytes.insert(bytes.end(), f.packet->data, f.packet->data + f.packet->size);
    av_packet_unref(f.packet);
  }
  if (bytes.empty()) throw Error(std::string(encoder_name) + " produced nothing");
  return bytes;
}

}  // namespace

Image decode_image(std::string_view bytes, const std::string& name) {
  if (bytes.empty()) throw Error(name + ": empty file (zero bytes)");
  return is_png(bytes) ? decode_png(bytes, name) : decode_ffmpeg(bytes, name);
}

Image read_image(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Error(path + ": no such file");
  if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not an image");
  if (size_t(st.st_size) > kMaxImageFileBytes) throw Error(path + ": larger than 1 GiB, not taken as an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_image(bytes, path);
}

ImageFormat image_format_named(const std::string& name) {
  if (name == "png") return ImageFormat::Png;
  if (name == "jpeg" || name == "jpg") return ImageFormat::Jpeg;
  if (name == "webp") return ImageFormat::Webp;
  throw UsageError("image format must be png, jpeg or webp, not " + name);
}

ImageFormat image_format_of_path(const std::string& path, bool& known) {
  auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos || path.find('/', dot) != std::string::npos ? "" : path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  known = ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "webp";
  return known ? image_format_named(ext) : ImageFormat::Png;
}

const char* extension_of(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg: return ".jpg";
    case ImageFormat::Webp: return ".webp";
    default: return ".png";
  }
}

std::vector<uint8_t> encode_image(const Image& image, ImageFormat format, const EncodeOptions& options) {
  check_sides(image.width, image.height, "image");
  if (image.rgb.size() != size_t(image.width) * image.height * 3) throw Error("image: pixel buffer of the wrong size");
  return format == ImageFormat::Png ? encode_png(image) : encode_ffmpeg(image, format, options.quality);
}

}  // namespace mm::media
