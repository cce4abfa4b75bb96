#include "stream/writer.h"

#include <algorithm>

#include "error.h"
#include "stream/codes.h"
#include "stream/little_endian.h"

namespace mm::stream {

Writer::Writer(Sink& sink, WriterOptions options)
    : sink_(sink), options_(options) {
  if (options_.level < -7 || options_.level > 22) throw UsageError("compression level must be -7 to 22");
  compressor_ = std::make_unique<Compressor>(options_.level);
  size_t limit = kMaxTokensRecordBytes / 4;
  if (options_.record_tokens == 0 || options_.record_tokens > limit)
    throw UsageError("tokens per record must be 1 to " + std::to_string(limit));
}

void Writer::write_record(uint8_t type, uint8_t flags, uint16_t param, const uint8_t* raw, size_t size) {
  if (finished_) throw Error("record written after the end of the stream");
  if (!header_written_) {
    uint8_t header[kStreamHeaderSize];
    StreamHeader stream_header;
    stream_header.level = static_cast<int8_t>(options_.level);
    encode_stream_header(stream_header, header);
    sink_.write(header, sizeof header);
    header_written_ = true;
  }
  RecordHeader header;
  header.type = type;
  header.param = param;
  header.raw_size = static_cast<uint32_t>(size);
  header.payload_hash = payload_hash(raw, size);
  const uint8_t* stored = raw;
  header.flags = flags & ~kFlagCompressed;
  if (compressor_->compress(raw, size, compressed_)) {
    header.flags |= kFlagCompressed;
    stored = compressed_.data();
    header.stored_size = static_cast<uint32_t>(compressed_.size());
  } else {
    header.stored_size = header.raw_size;
  }
  uint8_t encoded[kRecordHeaderSize];
  encode_record_header(header, encoded);
  if (type != uint8_t(RecordType::End)) structure_.add_record_header(encoded);
  sink_.write(encoded, sizeof encoded);
  sink_.write(stored, header.stored_size);
}

void Writer::begin_segment(const std::string& metadata_json) {
  SegmentInfo info = parse_segment_metadata(metadata_json);
  structure_.segment_begin(info);
  write_record(uint8_t(RecordType::SegmentBegin), 0, 0, reinterpret_cast<const uint8_t*>(metadata_json.data()),
               metadata_json.size());
}

void Writer::tokens(const uint32_t* codes, size_t count) {
  unsigned width = structure_.code_width();
  while (count > 0) {
    size_t take = std::min(count, options_.record_tokens - pending_count_);
    uint32_t largest = *std::max_element(codes, codes + take);
    structure_.check_code(largest);
    pending_largest_ = std::max(pending_largest_, largest);
    pack_codes(codes, take, width, pending_);
    pending_count_ += take;
    codes += take;
    count -= take;
    if (pending_count_ == options_.record_tokens) emit_tokens();
  }
}

void Writer::emit_tokens() {
  if (pending_count_ == 0) return;
  structure_.tokens(pending_count_, pending_largest_);
  write_record(uint8_t(RecordType::Tokens), 0, uint16_t(structure_.code_width()), pending_.data(), pending_.size());
  pending_.clear();
  pending_count_ = 0;
  pending_largest_ = 0;
}

void Writer::flush() {
  if (structure_.in_segment()) emit_tokens();
  sink_.flush();
}

void Writer::tensor(const Tensor& tensor) {
  if (structure_.in_segment()) emit_tokens();
  std::vector<uint8_t> payload = encode_tensor(tensor);
  if (payload.size() > kMaxTensorRecordBytes)
    throw Error("tensor " + tensor.name + " is larger than the format's limit of 1 GiB per record");
  write_record(uint8_t(RecordType::Tensor), 0, 0, payload.data(), payload.size());
}

void Writer::end_segment() {
  emit_tokens();
  uint8_t payload[kSegmentEndPayloadSize];
  store_le64(payload, structure_.segment_end());
  write_record(uint8_t(RecordType::SegmentEnd), 0, 0, payload, sizeof payload);
}

void Writer::ancillary_record(uint8_t type, uint16_t param, const std::vector<uint8_t>& payload) {
  if (type <= uint8_t(RecordType::End)) throw Error("ancillary records need a type above 5");
  if (payload.size() > kMaxOtherRecordBytes) throw Error("ancillary record larger than 64 MiB");
  if (structure_.in_segment()) emit_tokens();
  write_record(type, kFlagAncillary, param, payload.data(), payload.size());
}

void Writer::next_member(int level) {
  if (!finished_) throw Error("a new stream member can only follow the end of the previous one");
  if (level < -7 || level > 22) throw UsageError("compression level must be -7 to 22");
  if (level != options_.level) compressor_ = std::make_unique<Compressor>(level);
  options_.level = level;
  structure_.begin_member();
  header_written_ = false;
  finished_ = false;
}

void Writer::finish() {
  if (structure_.in_segment()) throw Error("stream finished inside a segment");
  MemberTotals totals = structure_.totals();
  uint8_t payload[kEndPayloadSize];
  store_le64(payload, totals.segments);
  store_le64(payload + 8, totals.tokens);
  store_le64(payload + 16, totals.records);
  store_le64(payload + 24, totals.header_hash);
  write_record(uint8_t(RecordType::End), 0, 0, payload, sizeof payload);
  structure_.end(totals);
  finished_ = true;
  sink_.flush();
}

}  // namespace mm::stream
