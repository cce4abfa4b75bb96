#include "tokenize/video_segments.h"

#include <nlohmann/json.hpp>

#include "error.h"
#include "stream/segment.h"

namespace mm::tokenize {

VideoSegmenter::VideoSegmenter(media::VideoDecoder& decoder, const ImageTokenizer& tokenizer, stream::Writer& writer,
                               VideoSegmentSettings settings)
    : decoder_(decoder), tokenizer_(tokenizer), writer_(writer), settings_(std::move(settings)) {
  placement_ = media::place(decoder.source_width(), decoder.source_height(), settings_.size, tokenizer.patch());
  decoder_.set_size(placement_.scaled_width, placement_.scaled_height);
  geometry_.patch = tokenizer.patch();
  geometry_.levels = settings_.levels > 0 ? settings_.levels : tokenizer.levels();
  if (geometry_.levels > tokenizer.levels())
    throw UsageError("--levels " + std::to_string(geometry_.levels) + ": the codebook has " +
                     std::to_string(tokenizer.levels()));
  geometry_.patches_x = placement_.frame_width / tokenizer.patch();
  geometry_.patches_y = placement_.frame_height / tokenizer.patch();
  geometry_.content_x = placement_.x;
  geometry_.content_y = placement_.y;
  geometry_.content_width = placement_.content_width;
  geometry_.content_height = placement_.content_height;
  geometry_.fps = decoder.fps() > 0 ? decoder.fps() : 25;
}

bool VideoSegmenter::fill() {
  if (pending_valid_) return true;
  if (ended_) return false;
  pending_valid_ = decoder_.next(pending_);
  ended_ = !pending_valid_;
  return pending_valid_;
}

bool VideoSegmenter::write_until(double until) {
  codes_.clear();
  geometry_.timestamps.clear();
  // The segment's metadata must carry its frame count and times, so its codes wait here
  // (one stretch of frames, a few KiB each) until the stretch is complete.
  while (fill() && pending_.timestamp < until) {
    media::Image frame = media::compose(pending_.image, placement_);
    tokenizer_.encode(frame, geometry_.levels, codes_, settings_.threads);
    geometry_.timestamps.push_back(pending_.timestamp);
    last_ = pending_.timestamp;
    pending_valid_ = false;
    ++frames_;
    if (settings_.progress) settings_.progress(frames_);
  }
  if (!geometry_.timestamps.empty()) {
    geometry_.frames = int(geometry_.timestamps.size());
    geometry_.part = part_++;
    auto extra = nlohmann::json::parse(visual_metadata_fields(geometry_, true));
    if (!settings_.source.empty()) extra["source"] = settings_.source;
    writer_.begin_segment(
        stream::segment_metadata("video", tokenizer_.id(), tokenizer_.vocab_size(), settings_.role, extra.dump()));
    writer_.tokens(codes_);
    writer_.end_segment();
    writer_.flush();
  }
  return fill();
}

void VideoSegmenter::write_all() {
  double step = settings_.seconds_per_segment > 0 ? settings_.seconds_per_segment : 1;
  while (fill()) write_until(pending_.timestamp + step);
}

}  // namespace mm::tokenize
