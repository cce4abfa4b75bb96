#include "cli/audio_render.h"

#include <algorithm>

#include "error.h"

namespace mm::cli {

AudioRenderer::AudioRenderer(const tokenize::TokenizerSet& tokenizers, std::string format, int sample_rate, bool force)
    : tokenizers_(tokenizers), format_(std::move(format)), sample_rate_(sample_rate), force_(force) {
  if (!format_.empty() && format_ != "wav" && format_ != "flac")
    throw UsageError("--format " + format_ + ": sound is written as wav or flac");
}

AudioRenderer::~AudioRenderer() = default;

void AudioRenderer::begin(const stream::SegmentInfo& segment,
                          const std::function<std::string(const std::string&)>& path_for) {
  tokenizer_ = &tokenizers_.audio();
  if (tokenizer_->id() != segment.tokenizer)
    throw Error("made by tokenizer " + segment.tokenizer + ", but the bundle's audio tokenizer is " + tokenizer_->id());
  shape_ = tokenize::AudioTokenizer::parse_segment_shape(segment.json);
  codes_.clear();
  const bool continues = shape_.part > 0 && shape_.part == next_part_ && shape_.source == source_ && (file_ || tapped_);
  if (!continues) {
    close();
    source_ = shape_.source;
    tapped_ = tap_.wants && tap_.wants(source_);
    if (tapped_) {
      rate_ = tap_.rate;
    } else {
      std::string path = path_for(format_ == "flac" ? ".flac" : ".wav");
      if (path.empty()) throw UsageError("sound cannot go to stdout; give -o FILE.wav (or .flac), a pattern or a directory");
      std::string format = format_;
      if (format.empty()) format = path.size() >= 5 && path.compare(path.size() - 5, 5, ".flac") == 0 ? "flac" : "wav";
      rate_ = sample_rate_ > 0 ? sample_rate_ : (shape_.source_sample_rate > 0 ? shape_.source_sample_rate : tokenizer_->sample_rate());
      file_ = std::make_unique<Output>(path, Content::Binary, force_);
      writer_ = std::make_unique<media::AudioWriter>(file_->temp_path(), format, rate_, 1);
    }
    resampler_ = std::make_unique<media::Resampler>(tokenizer_->sample_rate(), rate_);
    target_ = emitted_ = 0;
  }
  next_part_ = shape_.part + 1;
  // At the source's rate each part comes back as exactly its source samples; at another,
  // as the exact count for the 16 kHz samples.
  const bool source_rate = shape_.source_sample_rate == rate_ && shape_.source_samples > 0;
  target_ += source_rate ? shape_.source_samples
                         : media::Resampler::output_count(shape_.samples, tokenizer_->sample_rate(), rate_);
}

void AudioRenderer::codes(const std::vector<uint32_t>& codes) {
  if (codes_.size() + codes.size() > tokenizer_->codes_for(shape_.samples))
    throw Error("more audio codes than its " + std::to_string(shape_.samples) + " samples take");
  codes_.insert(codes_.end(), codes.begin(), codes.end());
}

void AudioRenderer::emit(const float* samples, size_t n) {
  n = size_t(std::min<uint64_t>(n, target_ - std::min(target_, emitted_)));
  if (n == 0) return;
  if (tapped_) tap_.sink(samples, n);
  else writer_->write(samples, n);
  emitted_ += n;
}

void AudioRenderer::end(bool defer) {
  decoded_.clear();
  tokenizer_->decode(codes_.data(), codes_.size(), shape_.samples, decoded_);
  resampled_.clear();
  resampler_->push(decoded_.data(), decoded_.size(), resampled_);
  emit(resampled_.data(), resampled_.size());
  if (!defer) return;  // the file stays open for the next part, and is committed at the end
}

void AudioRenderer::close() {
  if (!resampler_) return;
  resampled_.clear();
  resampler_->finish(resampled_);
  emit(resampled_.data(), resampled_.size());
  if (emitted_ < target_) {
    std::vector<float> silence(size_t(target_ - emitted_), 0.0f);
    emit(silence.data(), silence.size());
  }
  resampler_.reset();
  if (writer_) {
    writer_->finish();
    writer_.reset();
    files_.hold(std::move(file_));
  }
  tapped_ = false;
  next_part_ = 0;
}

std::vector<std::string> AudioRenderer::finish() {
  close();
  return files_.commit_held();
}

}  // namespace mm::cli
