#include "cli/visual_render.h"

#include <unistd.h>

#include <algorithm>

#include "error.h"

namespace mm::cli {

namespace {

std::string extension_lower(const std::string& path) {
  auto dot = path.rfind('.');
  if (dot == std::string::npos || path.find('/', dot) != std::string::npos) return "";
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

}  // namespace

VisualRenderer::VisualRenderer(const tokenize::TokenizerSet& tokenizers, std::string format, int quality, bool force)
    : tokenizers_(tokenizers), format_(std::move(format)), quality_(quality), force_(force) {
  if (format_ == "jpg") format_ = "jpeg";
  if (!format_.empty() && format_ != "png" && format_ != "jpeg" && format_ != "webp" && format_ != "mp4" && format_ != "gif")
    throw UsageError("--format must be png, jpeg, webp (images), mp4 or gif (video), not " + format_);
}

VisualRenderer::~VisualRenderer() = default;

void VisualRenderer::begin(const stream::SegmentInfo& segment,
                           const std::function<std::string(const std::string&)>& path_for) {
  bool video = segment.modality == "video";
  auto decoder = std::make_unique<tokenize::VisualDecoder>(tokenizers_.vq(segment.modality), segment.tokenizer,
                                                           segment.json, video);
  video_ = video;
  if (!video) {
    decoder_ = std::move(decoder);
    image_format_ = format_ == "mp4" || format_ == "gif" ? "" : format_;
    if (!format_.empty() && image_format_.empty())
      throw UsageError("--format " + format_ + " is for video; images render to png, jpeg or webp");
    image_path_ = path_for(image_format_.empty() ? ".png" : media::extension_of(media::image_format_named(image_format_)));
    if (image_path_.empty() && ::isatty(STDOUT_FILENO) && !force_)
      throw UsageError("refusing to write an image to a terminal (use -o FILE, a pipe, or -f)");
    if (image_format_.empty()) {
      bool known = false;
      media::ImageFormat f = media::image_format_of_path(image_path_, known);
      std::string ext = extension_lower(image_path_);
      if (!known && (ext == "mp4" || ext == "gif"))
        throw UsageError(image_path_ + ": an image segment renders to .png, .jpg or .webp, not ." + ext);
      image_format_ = f == media::ImageFormat::Jpeg ? "jpeg" : f == media::ImageFormat::Webp ? "webp" : "png";
    }
    return;
  }
  // A later part of the video being written continues it.
  bool continues = decoder->geometry().part > 0 && encoder_ &&
                   decoder->geometry().content_width == video_width_ &&
                   decoder->geometry().content_height == video_height_;
  decoder_ = std::move(decoder);
  if (continues) return;
  close_video();
  const auto& g = decoder_->geometry();
  std::string format = format_ == "gif" || format_ == "mp4" ? format_ : "";
  if (!format_.empty() && format.empty()) throw UsageError("--format " + format_ + " is for images; video renders to mp4 or gif");
  std::string path = path_for(format.empty() ? ".mp4" : "." + format);
  if (path.empty()) throw UsageError("video cannot go to stdout (MP4 is written by seeking): give -o FILE or -o DIR/");
  if (format.empty()) {
    std::string ext = extension_lower(path);
    if (ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "webp")
      throw UsageError(path + ": a video segment renders to .mp4 or .gif, not ." + ext);
    format = ext == "gif" ? "gif" : "mp4";
  }
  video_file_ = std::make_unique<Output>(path, Content::Binary, force_);
  encoder_ = std::make_unique<media::VideoEncoder>(video_file_->temp_path(), format, g.content_width, g.content_height, g.fps);
  video_width_ = g.content_width;
  video_height_ = g.content_height;
}

void VisualRenderer::codes(const std::vector<uint32_t>& codes) {
  if (!decoder_) return;
  decoder_->codes(codes.data(), codes.size(), [&](const media::Image& frame) {
    if (video_) encoder_->add(frame);
    else image_ = frame;
  });
}

void VisualRenderer::end(bool defer) {
  if (!decoder_) return;
  decoder_->finish();
  if (video_) return;  // the file is committed by close_video(), once the video is complete
  decoder_.reset();
  auto bytes = media::encode_image(image_, media::image_format_named(image_format_), {quality_});
  auto file = std::make_unique<Output>(image_path_.empty() ? "-" : image_path_, Content::Binary,
                                       image_path_.empty() || force_);
  file->sink().write(bytes.data(), bytes.size());
  if (defer)
    files_.hold(std::move(file));
  else
    files_.commit(*file);
}

void VisualRenderer::close_video() {
  if (!encoder_) return;
  encoder_->finish();
  encoder_.reset();
  if (before_video_commit) before_video_commit(video_file_->temp_path());
  files_.commit(*video_file_);
  video_file_.reset();
}

std::vector<std::string> VisualRenderer::finish() {
  close_video();
  return files_.commit_held();
}

}  // namespace mm::cli
