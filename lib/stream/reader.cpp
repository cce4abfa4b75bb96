#include "stream/reader.h"

#include <algorithm>
#include <cstring>

#include "error.h"
#include "stream/codes.h"
#include "stream/little_endian.h"

namespace mm::stream {

namespace {

uint32_t record_limit(uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::SegmentBegin: return kMaxMetadataBytes;
    case RecordType::Tokens: return kMaxTokensRecordBytes;
    case RecordType::Tensor: return kMaxTensorRecordBytes;
    case RecordType::SegmentEnd: return kSegmentEndPayloadSize;
    case RecordType::End: return kEndPayloadSize;
  }
  return kMaxOtherRecordBytes;
}

}  // namespace

Reader::Reader(Source& source) : source_(source) {}

size_t Reader::read_some(uint8_t* data, size_t size) {
  size_t n = source_.read(data, size);
  offset_ += n;
  return n;
}

bool Reader::read_stream_header(bool at_start) {
  uint8_t header[kStreamHeaderSize];
  uint64_t start = offset_;
  size_t n = read_some(header, sizeof header);
  if (n == 0) {
    if (at_start) throw FormatError(start, "empty input: not an mm token stream");
    return false;
  }
  if (n < sizeof header) {
    if (std::memcmp(header, kSignature.data(), std::min(n, kSignature.size())) != 0)
      throw FormatError(start, at_start ? "not an mm token stream (bad signature)"
                                        : "unexpected data after the end of the stream");
    throw FormatError(offset_, "truncated: input ends inside a stream header");
  }
  try {
    stream_header_ = decode_stream_header(header, start);
  } catch (const FormatError& e) {
    if (at_start) throw;
    throw FormatError(start, "unexpected data after the end of the stream (" + e.reason() + ")");
  }
  ++members_;
  member_open_ = true;
  structure_.begin_member();
  return true;
}

void Reader::read_payload() {
  // Grow with the bytes that really arrive, so a forged size cannot make us allocate.
  stored_.clear();
  size_t need = record_.stored_size;
  while (stored_.size() < need) {
    size_t have = stored_.size();
    size_t chunk = std::min(need - have, std::max<size_t>(have, 1 << 20));
    stored_.resize(have + chunk);
    size_t n = read_some(stored_.data() + have, chunk);
    if (n < chunk)
      throw FormatError(offset_, std::string("truncated: input ends inside the payload of this ") +
                                     record_type_name(record_.type) + " record (" + std::to_string(have + n) +
                                     " of " + std::to_string(need) + " bytes)");
  }
  if (record_.flags & kFlagCompressed) {
    try {
      decompressor_.decompress(stored_.data(), stored_.size(), record_.raw_size, payload_);
    } catch (const FormatError&) {
      throw;
    } catch (const Error& e) {
      throw FormatError(record_offset_, std::string(record_type_name(record_.type)) + " record: " + e.what());
    }
  } else {
    payload_.swap(stored_);
  }
  if (!checksum_matches(record_.payload_hash, payload_hash(payload_.data(), payload_.size())))
    throw FormatError(record_offset_,
                      std::string(record_type_name(record_.type)) + " record: payload checksum mismatch (corrupt data)");
}

Event Reader::next() {
  if (at_eof_) return Event::Eof;
  if (!member_open_) {
    if (!read_stream_header(members_ == 0)) {
      at_eof_ = true;
      return Event::Eof;
    }
  }
  record_offset_ = offset_;
  uint8_t header[kRecordHeaderSize];
  size_t n = read_some(header, sizeof header);
  if (n == 0)
    throw FormatError(offset_, "truncated: the stream ends without its end record (cut off?)");
  if (n < sizeof header) throw FormatError(offset_, "truncated: input ends inside a record header");
  record_ = decode_record_header(header, record_offset_);
  const char* name = record_type_name(record_.type);
  bool known = record_.type >= uint8_t(RecordType::SegmentBegin) && record_.type <= uint8_t(RecordType::End);
  if (!known && !(record_.flags & kFlagAncillary))
    throw FormatError(record_offset_, "record type " + std::to_string(record_.type) +
                                          " is not known to this version of mm (newer stream?)");
  if (record_.raw_size > record_limit(record_.type))
    throw FormatError(record_offset_, std::string(name) + " record of " + std::to_string(record_.raw_size) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(record_limit(record_.type)));
  if (record_.stored_size > record_limit(record_.type) + (record_limit(record_.type) >> 7) + 1024)
    throw FormatError(record_offset_, std::string(name) + " record stores more bytes than its limit allows");
  if (record_.type != uint8_t(RecordType::Tokens) && known && record_.param != 0)
    throw FormatError(record_offset_, std::string(name) + " record with a non-zero parameter");
  if (record_.type != uint8_t(RecordType::End)) structure_.add_record_header(header);
  read_payload();
  try {
    return dispatch();
  } catch (const FormatError&) {
    throw;
  } catch (const Error& e) {
    throw FormatError(record_offset_, e.what());
  }
}

Event Reader::dispatch() {
  switch (static_cast<RecordType>(record_.type)) {
    case RecordType::SegmentBegin:
      structure_.segment_begin(
          parse_segment_metadata(std::string(reinterpret_cast<const char*>(payload_.data()), payload_.size())));
      return Event::SegmentBegin;
    case RecordType::Tokens: {
      unsigned width = structure_.code_width();
      if (record_.param != width)
        throw Error("tokens record packs codes in " + std::to_string(record_.param) + " bytes, the segment's " +
                    std::to_string(structure_.segment().vocab_size) + "-code tokenizer needs " +
                    std::to_string(width));
      if (payload_.size() % width != 0) throw Error("tokens record ends inside a code");
      if (payload_.empty()) throw Error("empty tokens record");
      size_t count = payload_.size() / width;
      tokens_.resize(count);
      uint32_t largest = unpack_codes(payload_.data(), count, width, tokens_.data());
      structure_.tokens(count, largest);
      return Event::Tokens;
    }
    case RecordType::Tensor:
      tensor_ = decode_tensor(payload_.data(), payload_.size());
      return Event::Tensor;
    case RecordType::SegmentEnd: {
      if (payload_.size() != kSegmentEndPayloadSize) throw Error("segment-end record of the wrong size");
      uint64_t declared = load_le64(payload_.data());
      uint64_t counted = structure_.segment_end();
      if (declared != counted)
        throw Error("segment-end declares " + std::to_string(declared) + " tokens, the segment holds " +
                    std::to_string(counted) + ": tokens records were lost or added");
      return Event::SegmentEnd;
    }
    case RecordType::End: {
      if (payload_.size() != kEndPayloadSize) throw Error("end record of the wrong size");
      MemberTotals declared;
      declared.segments = load_le64(payload_.data());
      declared.tokens = load_le64(payload_.data() + 8);
      declared.records = load_le64(payload_.data() + 16);
      declared.header_hash = load_le64(payload_.data() + 24);
      structure_.end(declared);
      member_totals_ = declared;
      member_open_ = false;
      return Event::MemberEnd;
    }
  }
  return Event::Ancillary;
}

}  // namespace mm::stream
