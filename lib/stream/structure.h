// The rules that make a sequence of records a stream, kept in one place so that the writer
// refuses to produce what the reader would reject. Violations throw mm::Error.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "stream/segment.h"

namespace mm::stream {

struct MemberTotals {
  uint64_t segments = 0;
  uint64_t tokens = 0;
  uint64_t records = 0;      // records before the end record
  uint64_t header_hash = 0;  // XXH3-64 over those records' headers, in order
};

constexpr size_t kEndPayloadSize = 32;
constexpr size_t kSegmentEndPayloadSize = 8;

class Structure {
 public:
  Structure();
  ~Structure();
  Structure(const Structure&) = delete;
  Structure& operator=(const Structure&) = delete;

  void begin_member();
  // Every record header of a member except its end record, in order.
  void add_record_header(const uint8_t* header);

  void segment_begin(const SegmentInfo& info);
  unsigned code_width() const;  // of the open segment
  void check_code(uint32_t largest_code) const;  // within the open segment's vocabulary
  void tokens(uint64_t count, uint32_t largest_code);
  uint64_t segment_end();  // returns the segment's token count
  void end(const MemberTotals& declared);

  bool in_segment() const { return in_segment_; }
  const SegmentInfo& segment() const { return segment_; }
  MemberTotals totals() const;

 private:
  void require_segment(const char* record) const;

  struct HashState;
  HashState* hash_;
  bool in_segment_ = false;
  SegmentInfo segment_;
  uint64_t segment_tokens_ = 0;
  MemberTotals totals_;
  // modality -> (tokenizer, vocabulary size), across all members: one tokenizer per modality.
  std::map<std::string, std::pair<std::string, uint64_t>> tokenizers_;
};

}  // namespace mm::stream
