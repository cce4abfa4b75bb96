#include "stream/format.h"

#include <cstring>

#include <xxhash.h>

#include "error.h"
#include "stream/little_endian.h"

namespace mm::stream {

void encode_stream_header(const StreamHeader& header, uint8_t out[kStreamHeaderSize]) {
  std::memcpy(out, kSignature.data(), kSignature.size());
  out[8] = header.major;
  out[9] = header.minor;
  out[10] = static_cast<uint8_t>(header.level);
  out[11] = header.flags;
  store_le32(out + 12, static_cast<uint32_t>(XXH3_64bits(out, 12)));
}

StreamHeader decode_stream_header(const uint8_t in[kStreamHeaderSize], uint64_t offset) {
  if (std::memcmp(in, kSignature.data(), kSignature.size()) != 0) {
    if (std::memcmp(in + 1, "MMT", 3) == 0)
      throw FormatError(offset, "damaged stream signature (was the stream sent through a text-mode channel?)");
    throw FormatError(offset, "not an mm token stream (bad signature)");
  }
  StreamHeader header;
  header.major = in[8];
  header.minor = in[9];
  header.level = static_cast<int8_t>(in[10]);
  header.flags = in[11];
  if (header.major != kVersionMajor)
    throw FormatError(offset, "unsupported stream version " + std::to_string(header.major) + "." +
                                  std::to_string(header.minor) + " (this mm reads " +
                                  std::to_string(kVersionMajor) + ".x)");
  if (!checksum_matches(load_le32(in + 12), static_cast<uint32_t>(XXH3_64bits(in, 12))))
    throw FormatError(offset, "stream header checksum mismatch (corrupt data)");
  if (header.flags != 0) throw FormatError(offset, "reserved bits set in the stream header");
  return header;
}

void encode_record_header(const RecordHeader& header, uint8_t out[kRecordHeaderSize]) {
  out[0] = header.type;
  out[1] = header.flags;
  store_le16(out + 2, header.param);
  store_le32(out + 4, header.stored_size);
  store_le32(out + 8, header.raw_size);
  store_le64(out + 12, header.payload_hash);
  store_le32(out + 20, static_cast<uint32_t>(XXH3_64bits(out, 20)));
}

RecordHeader decode_record_header(const uint8_t in[kRecordHeaderSize], uint64_t offset) {
  if (!checksum_matches(load_le32(in + 20), static_cast<uint32_t>(XXH3_64bits(in, 20))))
    throw FormatError(offset, "record header checksum mismatch (corrupt data, or not the start of a record)");
  RecordHeader header;
  header.type = in[0];
  header.flags = in[1];
  header.param = load_le16(in + 2);
  header.stored_size = load_le32(in + 4);
  header.raw_size = load_le32(in + 8);
  header.payload_hash = load_le64(in + 12);
  if (header.flags & ~kKnownFlags)
    throw FormatError(offset, "unknown record flags " + std::to_string(header.flags));
  if (!(header.flags & kFlagCompressed) && header.stored_size != header.raw_size)
    throw FormatError(offset, "uncompressed record whose stored and raw sizes differ");
  return header;
}

uint64_t payload_hash(const void* data, size_t size) { return XXH3_64bits(data, size); }

unsigned code_width(uint64_t vocabulary_size) {
  if (vocabulary_size <= (1u << 8)) return 1;
  if (vocabulary_size <= (1u << 16)) return 2;
  if (vocabulary_size <= (1u << 24)) return 3;
  return 4;
}

const char* record_type_name(uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::SegmentBegin: return "segment";
    case RecordType::Tokens: return "tokens";
    case RecordType::Tensor: return "tensor";
    case RecordType::SegmentEnd: return "segment-end";
    case RecordType::End: return "end";
  }
  return "unknown";
}

}  // namespace mm::stream
