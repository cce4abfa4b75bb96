// Writes a .mmt stream record by record; see man/mmt.5.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stream/compression.h"
#include "stream/format.h"
#include "stream/io.h"
#include "stream/structure.h"
#include "stream/tensor.h"

namespace mm::stream {

struct WriterOptions {
  int level = 3;                   // zstd level
  size_t record_tokens = 1 << 20;  // codes buffered before a tokens record is emitted
};

class Writer {
 public:
  explicit Writer(Sink& sink, WriterOptions options = {});

  // Metadata JSON as parse_segment_metadata() accepts; stored verbatim.
  void begin_segment(const std::string& metadata_json);
  // Buffers codes of the open segment; a tokens record goes out every `record_tokens`.
  void tokens(const uint32_t* codes, size_t count);
  void tokens(const std::vector<uint32_t>& codes) { tokens(codes.data(), codes.size()); }
  // Ends the pending tokens record now and pushes everything to the sink, so that a reader
  // downstream sees it: call it after each unit of work (a frame, a sentence).
  void flush();
  void tensor(const Tensor& tensor);
  void end_segment();
  // Passes through a record of a type this writer does not know (from a newer stream).
  void ancillary_record(uint8_t type, uint16_t param, const std::vector<uint8_t>& payload);
  // Writes the end record. Without it the output reads as truncated, which is the point:
  // a producer that fails half-way must not leave a stream that looks complete.
  void finish();
  // After finish(): starts another member of the same stream, as `cat a.mmt b.mmt` would,
  // keeping the rule of one tokenizer per modality across members.
  void next_member(int level);

  MemberTotals totals() const { return structure_.totals(); }

 private:
  void write_record(uint8_t type, uint8_t flags, uint16_t param, const uint8_t* raw, size_t size);
  void emit_tokens();

  Sink& sink_;
  WriterOptions options_;
  std::unique_ptr<Compressor> compressor_;
  Structure structure_;
  bool header_written_ = false;
  bool finished_ = false;
  std::vector<uint8_t> pending_;  // packed codes of the next tokens record
  size_t pending_count_ = 0;
  uint32_t pending_largest_ = 0;
  std::vector<uint8_t> compressed_;
};

}  // namespace mm::stream
