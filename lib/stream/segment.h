// A segment's metadata: the JSON object in its begin record, and the fields every reader needs.
#pragma once

#include <cstdint>
#include <string>

namespace mm::stream {

struct SegmentInfo {
  std::string modality;   // text, code, image, video, audio
  std::string tokenizer;  // id of the tokenizer whose codes the segment holds
  uint64_t vocab_size = 0;
  std::string role;       // system, user, assistant, or empty
  std::string json;       // the whole metadata object, on one line, exactly as stored
};

// Validates metadata JSON (an object with modality, tokenizer and vocab_size, known keys of
// the right types, no line breaks) and extracts its fields. Throws mm::Error with the reason.
SegmentInfo parse_segment_metadata(const std::string& json);

// Compact metadata JSON for the required fields; `extra` is a JSON object merged in.
std::string segment_metadata(const std::string& modality, const std::string& tokenizer,
                             uint64_t vocab_size, const std::string& role = "",
                             const std::string& extra = "{}");

bool is_known_modality(const std::string& modality);

}  // namespace mm::stream
