// Generated ids -> stream records: the metadata of a generated segment, built with the
// bundle's tokenizers (so mm-render can render it), and a writer that turns one sample's
// ids into a segment as they arrive, flushing after each image row and each sentence so a
// program downstream starts early.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "generate/layout.h"
#include "stream/writer.h"
#include "tokenize/tokenizer_set.h"

namespace mm::generate {

// What one generated segment is: its modality, role and size.
struct SegmentPlan {
  std::string modality, role;
  Shape shape;                 // image and video: grid and frames
  double fps = 8;              // video
  uint64_t audio_samples = 0;  // audio, at its tokenizer's rate
  size_t codes = 0;            // audio: exactly; text and code: at most
};

// Sizes a plan for `seconds` of audio with the bundle's audio tokenizer (codes, samples).
void plan_audio(const tokenize::TokenizerSet& tokenizers, double seconds, SegmentPlan& plan);

// The complete metadata JSON of a generated segment (modality, tokenizer, vocab_size, role,
// and what its tokenizer needs to render it: grid and geometry, frames and timestamps, the
// sample count). `sample` > 0 is recorded when several samples are written. Throws
// mm::Error when the bundle has no tokenizer for the modality.
std::string generated_metadata(const tokenize::TokenizerSet& tokenizers, const SegmentPlan& plan, size_t sample,
                               size_t samples);

// Writes one sample's ids as a segment: the begin marker opens it, codes become tokens,
// the end marker closes it. Text and code segments are flushed at each sentence end or
// line break, visual ones at each row, audio every `flush_codes`.
class SegmentWriter {
 public:
  SegmentWriter(const Layout& layout, stream::Writer& writer, std::string metadata,
                const tokenize::BpeTokenizer* text = nullptr);
  void push(uint32_t id);
  bool done() const { return done_; }

 private:
  const Layout& layout_;
  stream::Writer& writer_;
  std::string metadata_;
  const tokenize::BpeTokenizer* text_;
  CodeRange range_;
  bool open_ = false, done_ = false;
  size_t since_flush_ = 0;
};

}  // namespace mm::generate
