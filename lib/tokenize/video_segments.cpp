#include "tokenize/video_segments.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "error.h"
#include "stream/segment.h"

namespace mm::tokenize {

// Runs the decoder on its own thread, at most kAhead frames ahead of the consumer, so
// decoding and encoding overlap on two cores; exceptions reach the consumer.
class FramePrefetch {
 public:
  explicit FramePrefetch(media::VideoDecoder& decoder) : decoder_(decoder), thread_([this] { run(); }) {}

  ~FramePrefetch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  bool next(media::VideoFrame& frame) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      frame = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
      return true;
    }
    if (error_) std::rethrow_exception(error_);
    return false;
  }

 private:
  static constexpr size_t kAhead = 4;

  void run() {
    try {
      for (;;) {
        media::VideoFrame frame;
        if (!decoder_.next(frame)) break;
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return queue_.size() < kAhead || stop_; });
        if (stop_) break;
        queue_.push_back(std::move(frame));
        changed_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }

  media::VideoDecoder& decoder_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<media::VideoFrame> queue_;
  bool done_ = false, stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once everything above exists
};

VideoSegmenter::VideoSegmenter(media::VideoDecoder& decoder, const ImageTokenizer& tokenizer, stream::Writer& writer,
                               VideoSegmentSettings settings)
    : decoder_(decoder), tokenizer_(tokenizer), writer_(writer), settings_(std::move(settings)) {
  placement_ = media::place(decoder.source_width(), decoder.source_height(), settings_.size, tokenizer.patch());
  decoder_.set_size(placement_.scaled_width, placement_.scaled_height);
  geometry_.patch = tokenizer.patch();
  geometry_.levels = settings_.levels > 0 ? settings_.levels : 1;
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

VideoSegmenter::~VideoSegmenter() = default;

bool VideoSegmenter::fill() {
  if (pending_valid_) return true;
  if (ended_) return false;
  if (!prefetch_) prefetch_ = std::make_unique<FramePrefetch>(decoder_);
  pending_valid_ = prefetch_->next(pending_);
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
    size_t at = codes_.size();
    reused_ += tokenizer_.encode_reusing(frame, geometry_.levels, codes_, settings_.threads, previous_,
                                         previous_codes_.empty() ? nullptr : previous_codes_.data(),
                                         settings_.reuse_below, 1);
    patches_ += uint64_t(geometry_.patches_x) * geometry_.patches_y;
    previous_codes_.assign(codes_.begin() + long(at), codes_.end());
    previous_ = std::move(frame);
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
