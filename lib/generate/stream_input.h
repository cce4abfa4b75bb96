// A stream read into the backbone's sequence: every segment goes through a SequenceBuilder
// (its grid and frames taken from the metadata), and optionally every record is written
// through unchanged, as it is read, so a program downstream sees the input at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generate/layout.h"
#include "stream/reader.h"
#include "stream/writer.h"
#include "tokenize/bpe.h"

namespace mm::generate {

// The shape of a visual segment from its metadata: "grid" as {"width": W, "height": H}
// (or the older [W, H]) and "frames" (1 when absent). Throws mm::Error when an image or
// video has no grid; returns Shape{} for other modalities.
Shape segment_shape(const std::string& modality, const std::string& metadata_json);

struct StreamInputSummary {
  size_t segments = 0;
  uint64_t codes = 0;
  std::string last_role;  // the role of the last segment ("" when it had none)
};

// Reads `reader` to its end, appending every segment to `builder`. With `through`, every
// record (tensors and unknown records too) is also written to it as it is read. Segments
// whose vocabulary is larger than the layout's range for their modality are refused, with
// the segment's index.
StreamInputSummary read_stream_input(stream::Reader& reader, SequenceBuilder& builder, const Layout& layout,
                                     stream::Writer* through);

// Appends `text` as one text segment of `role` (a user's question or instruction after the
// stream): to `builder`, and to `through` when given, so the conversation written out is
// the one the model read.
void append_text_segment(SequenceBuilder& builder, const tokenize::BpeTokenizer& bpe, const std::string& text,
                         const std::string& role, stream::Writer* through);

}  // namespace mm::generate
