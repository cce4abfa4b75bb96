// What mm-inspect reports about a stream: per-segment figures, written as they are read
// (so memory stays bounded), as a text table or as JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stream/io.h"
#include "stream/reader.h"

namespace mm::stream {

struct TensorSummary {
  std::string name;
  DType dtype;
  std::vector<uint64_t> shape;
  uint64_t offset = 0;
};

struct SegmentSummary {
  uint64_t index = 0;
  uint64_t offset = 0;  // of its begin record
  SegmentInfo info;
  uint64_t tokens = 0;
  uint64_t records = 0;
  uint64_t raw_bytes = 0;     // record headers and payloads before compression
  uint64_t stored_bytes = 0;  // record headers and payloads as stored
  std::vector<TensorSummary> tensors;
};

struct StreamSummary {
  uint64_t members = 0, records = 0, segments = 0, tokens = 0, tensors = 0;
  uint64_t bytes = 0, raw_bytes = 0, stored_bytes = 0;
  int version_major = 0, version_minor = 0;
};

class SummaryWriter {
 public:
  virtual ~SummaryWriter() = default;
  virtual void record(const RecordHeader&, uint64_t /*offset*/) {}
  virtual void segment(const SegmentSummary& segment) = 0;
  virtual void stream_tensor(const TensorSummary& tensor) = 0;
  virtual void finish(const StreamSummary& stream) = 0;
};

// `verbose` adds a line per record to the text form.
std::unique_ptr<SummaryWriter> text_summary(Sink& out, const std::string& input_name, bool verbose);
std::unique_ptr<SummaryWriter> json_summary(Sink& out, const std::string& input_name);

// Reads the whole stream, reporting to `writer`; `progress` is called after each record.
// Throws FormatError at the first fault.
StreamSummary summarize(Reader& reader, SummaryWriter* writer,
                        const std::function<void(uint64_t bytes, uint64_t tokens)>& progress = {});

// A segment's shape in words, from its metadata: "32x32", "32x32x16 @ 8 fps", "16000 Hz".
std::string describe_shape(const SegmentInfo& info);

}  // namespace mm::stream
