// mm-encode's work: run the backbone once over a stream's sequence (segments mapped to ids
// by the bundle's layout) and write the stream through with tensor records added. Part of
// libmm-backbone, though it includes no torch header: it drives the Backbone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "generate/layout.h"
#include "model/backbone.h"
#include "stream/reader.h"
#include "stream/writer.h"

namespace mm::model {

struct EncodeOptions {
  // Adds to each segment, before its end, a tensor "embedding": f32 [hidden_size], the mean
  // of the final hidden states over the segment's positions (its codes and the row and
  // frame breaks between them), L2-normalised.
  bool embeddings = false;
  std::string state_path;  // non-empty: save the KV state of the whole sequence there
  size_t capacity = 0;     // the most ids the sequence may hold; 0: the model's positions, at most 16384
};

struct EncodeSummary {
  size_t segments = 0;
  uint64_t ids = 0;  // the sequence's length
};

// The embedding mm-encode --embeddings gives `segment` as a stream's only segment, without
// a role: the mean of the final hidden states over its codes (and the row and frame breaks
// between them), L2-normalised; zeros for an empty segment. Resets the backbone to one row.
std::vector<float> embed_segment(Backbone& backbone, const generate::Layout& layout,
                                 const generate::SequenceParser::Segment& segment);

// What --best-of judges samples against: the prompt's last segment that is not text (the
// image a caption or code is written for, the code a drawing draws), else its last segment
// (a caption to draw); none when `ids` hold no whole segment. Text is passed over because a
// user's instruction ("describe the image") is text that follows what it is about.
std::optional<generate::SequenceParser::Segment> judged_subject(const generate::Layout& layout,
                                                                const std::vector<uint32_t>& ids);

// --best-of's choice among generated samples (each one segment's ids, as Generator::run
// returns them): every sample embedded alone as embed_segment embeds it, and its cosine
// similarity with `query` (a unit-length embedding). The first of equals wins. Resets the
// backbone to one row. Throws mm::Error for a sample that holds no whole segment.
struct SampleChoice {
  size_t best = 0;
  std::vector<double> similarities;  // one per sample, in order
};
SampleChoice nearest_sample(Backbone& backbone, const generate::Layout& layout, const std::vector<float>& query,
                            const std::vector<std::vector<uint32_t>>& samples);

// The backbone runs segment by segment as the stream arrives, in the pieces every prefill
// uses (generate/prefill_pieces.h), so each segment's embedding is written as soon as its end
// is read and the state holds the floats a prefill of the whole sequence gives, bit for bit.
// Throws mm::Error naming the segment at fault.
EncodeSummary encode_stream(Backbone& backbone, const generate::Layout& layout, stream::Reader& reader,
                            stream::Writer& writer, const EncodeOptions& options);

}  // namespace mm::model
