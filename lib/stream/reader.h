// Reads a .mmt stream record by record, checking everything man/mmt.5 requires: checksums,
// structure, limits and the end record. Memory stays bounded by the largest record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stream/compression.h"
#include "stream/format.h"
#include "stream/io.h"
#include "stream/structure.h"
#include "stream/tensor.h"

namespace mm::stream {

enum class Event {
  SegmentBegin,  // segment() holds the new segment
  Tokens,        // tokens() holds the record's codes
  Tensor,        // tensor() holds it
  SegmentEnd,
  Ancillary,     // a skippable record of a type this reader does not know; payload() holds it
  MemberEnd,     // an end record; another stream may follow (cat a.mmt b.mmt)
  Eof,           // the input ended cleanly after an end record
};

class Reader {
 public:
  explicit Reader(Source& source);

  // Reads the next record. Throws FormatError with the byte offset of the first fault.
  Event next();

  const SegmentInfo& segment() const { return structure_.segment(); }
  const std::vector<uint32_t>& tokens() const { return tokens_; }
  const stream::Tensor& tensor() const { return tensor_; }
  const std::vector<uint8_t>& payload() const { return payload_; }  // raw payload of the last record
  const RecordHeader& record() const { return record_; }
  uint64_t record_offset() const { return record_offset_; }  // where the last record began
  uint64_t offset() const { return offset_; }                // bytes consumed so far
  const StreamHeader& stream_header() const { return stream_header_; }
  size_t members() const { return members_; }  // stream headers seen so far
  const MemberTotals& member_totals() const { return member_totals_; }  // of the last end record

 private:
  size_t read_some(uint8_t* data, size_t size);
  bool read_stream_header(bool at_start);
  void read_payload();
  Event dispatch();

  Source& source_;
  Decompressor decompressor_;
  Structure structure_;
  StreamHeader stream_header_;
  RecordHeader record_;
  uint64_t offset_ = 0;
  uint64_t record_offset_ = 0;
  size_t members_ = 0;
  bool member_open_ = false;
  bool at_eof_ = false;
  std::vector<uint8_t> stored_;
  std::vector<uint8_t> payload_;
  std::vector<uint32_t> tokens_;
  stream::Tensor tensor_;
  MemberTotals member_totals_;
};

}  // namespace mm::stream
