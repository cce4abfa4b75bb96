// The byte layout of a .mmt stream, as man/mmt.5 specifies it. Changing a number here
// changes the format: bump kVersionMinor (compatible) or kVersionMajor (incompatible).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace mm::stream {

constexpr uint8_t kVersionMajor = 1;
constexpr uint8_t kVersionMinor = 0;

// Like PNG's: the high byte catches 7-bit transports, CR LF and ^Z catch text-mode damage.
constexpr std::array<uint8_t, 8> kSignature = {0x89, 'M', 'M', 'T', '\r', '\n', 0x1a, '\n'};
constexpr size_t kStreamHeaderSize = 16;
constexpr size_t kRecordHeaderSize = 24;

enum class RecordType : uint8_t {
  SegmentBegin = 1,
  Tokens = 2,
  Tensor = 3,
  SegmentEnd = 4,
  End = 5,
};

// Record flags.
constexpr uint8_t kFlagCompressed = 0x01;  // payload is one zstd frame
constexpr uint8_t kFlagAncillary = 0x02;   // a reader that does not know the type may skip it
constexpr uint8_t kKnownFlags = kFlagCompressed | kFlagAncillary;

// Limits a reader enforces before trusting a size; writers never exceed them.
constexpr uint32_t kMaxMetadataBytes = 1u << 20;
constexpr uint32_t kMaxTokensRecordBytes = 64u << 20;
constexpr uint32_t kMaxTensorRecordBytes = 1u << 30;
constexpr uint32_t kMaxOtherRecordBytes = 64u << 20;
constexpr uint32_t kMaxTensorNameBytes = 256;
constexpr uint32_t kMaxTensorDims = 8;
constexpr uint64_t kMaxVocabularySize = uint64_t(1) << 32;

// Payloads smaller than this are stored raw: a zstd frame would not pay for itself.
constexpr uint32_t kMinCompressedPayload = 64;

struct StreamHeader {
  uint8_t major = kVersionMajor;
  uint8_t minor = kVersionMinor;
  int8_t level = 3;  // zstd level the writer used, so a re-pack reproduces the bytes
  uint8_t flags = 0;
};

struct RecordHeader {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint16_t param = 0;  // Tokens: bytes per code; 0 elsewhere
  uint32_t stored_size = 0;
  uint32_t raw_size = 0;
  uint64_t payload_hash = 0;  // XXH3-64 of the raw (uncompressed) payload
};

void encode_stream_header(const StreamHeader& header, uint8_t out[kStreamHeaderSize]);
// Throws FormatError (at `offset`) for a bad signature or an unsupported major version.
StreamHeader decode_stream_header(const uint8_t in[kStreamHeaderSize], uint64_t offset);

void encode_record_header(const RecordHeader& header, uint8_t out[kRecordHeaderSize]);
// Checks the header's own checksum and reserved bits; sizes are checked by the reader.
RecordHeader decode_record_header(const uint8_t in[kRecordHeaderSize], uint64_t offset);

uint64_t payload_hash(const void* data, size_t size);

// Whether a stored checksum matches. Fuzzing builds accept any, so that the fuzzer reaches
// the code behind the checks instead of stopping at hashes it cannot forge.
inline bool checksum_matches(uint64_t stored, uint64_t computed) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)stored;
  (void)computed;
  return true;
#else
  return stored == computed;
#endif
}

// Bytes per code for a tokenizer with `vocabulary_size` codes: 1, 2, 3 or 4.
unsigned code_width(uint64_t vocabulary_size);

const char* record_type_name(uint8_t type);

}  // namespace mm::stream
