#include "tokenize/audio_segments.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "error.h"

namespace mm::tokenize {

namespace {

media::AudioOptions decoder_options(const AudioSegmentSettings& settings) {
  media::AudioOptions options;
  options.channels = 1;  // the channel policy: the mean of the source's channels
  options.start = settings.start;
  options.duration = settings.duration;
  return options;
}

constexpr size_t kBlock = 1 << 14;

}  // namespace

AudioSegmenter::AudioSegmenter(const std::string& path, const AudioTokenizer& tokenizer, stream::Writer& writer,
                               AudioSegmentSettings settings)
    : tokenizer_(tokenizer),
      writer_(writer),
      settings_(std::move(settings)),
      decoder_(path, decoder_options(settings_)),
      resampler_(decoder_.sample_rate(), tokenizer.sample_rate()) {
  if (!(settings_.seconds_per_segment > 0)) throw UsageError("audio: seconds per segment must be positive");
}

AudioSegmenter::~AudioSegmenter() = default;

bool AudioSegmenter::read_more() {
  if (ended_) return false;
  block_.clear();
  size_t got = decoder_.read(block_, kBlock);
  if (got == 0) {
    ended_ = true;
    resampler_.finish(pending_);
    return false;
  }
  read_source_ += got;
  resampler_.push(block_.data(), got, pending_);
  return true;
}

bool AudioSegmenter::write_until(double until) {
  const int rate = decoder_.sample_rate();
  const double offset = std::max(0.0, until - settings_.start);
  const uint64_t wanted_source = uint64_t(std::llround(offset * rate));
  // Decode until the stretch is in (or the sound ends), then until its resampled end is too.
  while (!ended_ && read_source_ < wanted_source) read_more();
  const uint64_t end_source = std::min(wanted_source, read_source_);
  const uint64_t end = media::Resampler::output_count(end_source, rate, tokenizer_.sample_rate());
  while (!ended_ && written_ + pending_.size() < end) read_more();
  if (end_source > written_source_) {
    const size_t count = size_t(end - written_);
    codes_.clear();
    tokenizer_.encode(pending_.data(), count, codes_);
    AudioSegmentShape shape;
    shape.samples = count;
    shape.start = settings_.start + double(written_source_) / rate;
    shape.source_sample_rate = rate;
    shape.source_samples = end_source - written_source_;
    shape.source = settings_.source;
    shape.part = uint64_t(part_);
    if (count > 0) {  // else the stretch is too short for one sample here: it joins the next
      writer_.begin_segment(tokenizer_.segment_metadata(shape, settings_.role));
      writer_.tokens(codes_);
      writer_.end_segment();
      writer_.flush();
      ++part_;
      pending_.erase(pending_.begin(), pending_.begin() + ptrdiff_t(count));
      written_ += count;
      written_source_ = end_source;
    }
  }
  return !(ended_ && written_ >= media::Resampler::output_count(read_source_, rate, tokenizer_.sample_rate()));
}

bool AudioSegmenter::truncated() const {
  const double declared = decoder_.source_duration();
  if (!ended_ || !(declared > 0) || declared > 1e7) return false;  // unknown, or not believable
  double expected = declared - settings_.start;
  if (settings_.duration > 0) expected = std::min(expected, settings_.duration);
  const double decoded = double(read_source_) / decoder_.sample_rate();
  return decoded < expected - std::max(0.05, 0.01 * expected);
}

std::string AudioSegmenter::describe_truncation() const {
  char text[160];
  std::snprintf(text, sizeof text, "truncated: its sound ends at %.2f s of the %.2f s the file declares",
                settings_.start + double(read_source_) / decoder_.sample_rate(), decoder_.source_duration());
  return text;
}

void AudioSegmenter::write_all() {
  for (double t = settings_.start + settings_.seconds_per_segment; write_until(t); t += settings_.seconds_per_segment) {
  }
}

}  // namespace mm::tokenize
