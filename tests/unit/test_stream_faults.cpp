#include <doctest/doctest.h>

#include <random>

#include "error.h"
#include "random_streams.h"
#include "stream/little_endian.h"
#include "stream/reader.h"
#include "stream/segment.h"
#include "stream/writer.h"

using namespace mm;
using namespace mm::stream;

namespace {

std::vector<uint8_t> sample_stream() {
  std::mt19937_64 rng(11);
  testing::StreamSpec spec;
  while (spec.segments.size() < 2) spec = testing::random_stream(rng, 3, 200);
  return testing::write_stream(spec);
}

// Reads to the end; returns the error, or "" when the stream was accepted.
std::string read_all(const std::vector<uint8_t>& bytes, uint64_t* offset = nullptr) {
  MemorySource source(bytes.data(), bytes.size());
  Reader reader(source);
  try {
    while (reader.next() != Event::Eof) {
    }
  } catch (const FormatError& e) {
    if (offset) *offset = e.offset();
    return e.what();
  }
  return "";
}

std::vector<uint8_t> stream_header() {
  std::vector<uint8_t> out(kStreamHeaderSize);
  encode_stream_header(StreamHeader{}, out.data());
  return out;
}

void append_record(std::vector<uint8_t>& out, uint8_t type, uint8_t flags, uint16_t param,
                   const std::vector<uint8_t>& payload, uint32_t raw_size, uint32_t stored_size) {
  RecordHeader h;
  h.type = type;
  h.flags = flags;
  h.param = param;
  h.raw_size = raw_size;
  h.stored_size = stored_size;
  h.payload_hash = payload_hash(payload.data(), payload.size());
  uint8_t encoded[kRecordHeaderSize];
  encode_record_header(h, encoded);
  out.insert(out.end(), encoded, encoded + kRecordHeaderSize);
  out.insert(out.end(), payload.begin(), payload.end());
}

void append_record(std::vector<uint8_t>& out, uint8_t type, const std::vector<uint8_t>& payload,
                   uint16_t param = 0) {
  append_record(out, type, 0, param, payload, uint32_t(payload.size()), uint32_t(payload.size()));
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("a stream cut short anywhere is reported as truncated, never accepted") {
  auto bytes = sample_stream();
  REQUIRE(read_all(bytes).empty());
  for (size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    uint64_t offset = 0;
    std::string error = read_all(cut, &offset);
    REQUIRE(!error.empty());
    CHECK(offset <= n);
    if (n > 0) CHECK((error.find("truncated") != std::string::npos || error.find("signature") != std::string::npos));
  }
}

TEST_CASE("a flipped bit anywhere is detected, or changes nothing that was read") {
  auto bytes = sample_stream();
  auto original = testing::read_stream(bytes);
  size_t accepted = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto damaged = bytes;
      damaged[i] ^= uint8_t(1 << bit);
      if (read_all(damaged).empty()) {
        ++accepted;
        CAPTURE(i);
        CHECK(testing::read_stream(damaged) == original);
      }
    }
  MESSAGE(accepted << " of " << bytes.size() * 8 << " bit flips left the content intact");
}

TEST_CASE("faults name their byte offset and reason") {
  std::string meta = segment_metadata("text", "bytes", 256);
  const auto header = stream_header();

  SUBCASE("empty input") { CHECK(read_all({}).find("at byte 0: empty input") != std::string::npos); }
  SUBCASE("not a stream") { CHECK(read_all(bytes_of("hello, world, this is text")).find("bad signature") != std::string::npos); }
  SUBCASE("unsupported major version") {
    auto s = header;
    s[8] = 2;
    CHECK(read_all(s).find("unsupported stream version 2.0") != std::string::npos);
  }
  SUBCASE("no end record") {
    auto s = header;
    append_record(s, 1, bytes_of(meta));
    append_record(s, 4, std::vector<uint8_t>(8, 0));
    uint64_t offset = 0;
    CHECK(read_all(s, &offset).find("without its end record") != std::string::npos);
    CHECK(offset == s.size());
  }
  SUBCASE("tokens outside a segment") {
    auto s = header;
    append_record(s, 2, {1, 2}, 1);
    uint64_t offset = 0;
    CHECK(read_all(s, &offset).find("outside a segment") != std::string::npos);
    CHECK(offset == kStreamHeaderSize);
  }
  SUBCASE("tokens packed at the wrong width") {
    auto s = header;
    append_record(s, 1, bytes_of(meta));
    append_record(s, 2, {1, 0, 2, 0}, 2);
    CHECK(read_all(s).find("packs codes in 2 bytes") != std::string::npos);
  }
  SUBCASE("a code outside the vocabulary") {
    auto s = header;
    append_record(s, 1, bytes_of(segment_metadata("text", "t", 300)));
    append_record(s, 2, {0x2c, 0x01}, 2);  // 300
    CHECK(read_all(s).find("code 300 out of range") != std::string::npos);
  }
  SUBCASE("a record over the size limit") {
    auto s = header;
    append_record(s, 1, 0, 0, {}, kMaxMetadataBytes + 1, kMaxMetadataBytes + 1);
    CHECK(read_all(s).find("exceeds the limit") != std::string::npos);
  }
  SUBCASE("a forged size larger than the input allocates nothing and reports truncation") {
    auto s = header;
    append_record(s, 3, 0, 0, {}, kMaxTensorRecordBytes, kMaxTensorRecordBytes);
    CHECK(read_all(s).find("truncated: input ends inside the payload of this tensor record (0 of") != std::string::npos);
  }
  SUBCASE("a compressed payload that lies about its size") {
    MemorySink sink;
    Writer writer(sink);
    writer.begin_segment(meta);
    writer.tokens(std::vector<uint32_t>(5000, 1));
    writer.end_segment();
    writer.finish();
    auto s = sink.bytes();
    size_t tokens_at = kStreamHeaderSize + kRecordHeaderSize + meta.size();
    RecordHeader h = decode_record_header(&s[tokens_at], tokens_at);
    REQUIRE((h.flags & kFlagCompressed));
    h.raw_size = 4000;
    encode_record_header(h, &s[tokens_at]);
    CHECK(read_all(s).find("declares 5000 bytes, the record 4000") != std::string::npos);
  }
  SUBCASE("an unknown record type that is not ancillary") {
    auto s = header;
    append_record(s, 99, {});
    CHECK(read_all(s).find("record type 99 is not known") != std::string::npos);
  }
  SUBCASE("a segment-end count that disagrees") {
    auto s = header;
    append_record(s, 1, bytes_of(meta));
    append_record(s, 2, {1, 2}, 1);
    std::vector<uint8_t> count(8, 0);
    store_le64(count.data(), 3);
    append_record(s, 4, count);
    CHECK(read_all(s).find("segment-end declares 3 tokens, the segment holds 2") != std::string::npos);
  }
  SUBCASE("an end record whose counts disagree") {
    auto s = header;
    append_record(s, 1, bytes_of(meta));
    append_record(s, 4, std::vector<uint8_t>(8, 0));
    append_record(s, 5, std::vector<uint8_t>(32, 0));
    CHECK(read_all(s).find("end record counts (0 segments") != std::string::npos);
  }
  SUBCASE("records dropped from the middle are caught by the end record") {
    MemorySink sink;
    Writer writer(sink);
    writer.tensor(Tensor{"a", DType::U8, {1}, {1}});
    writer.tensor(Tensor{"b", DType::U8, {1}, {2}});
    writer.finish();
    auto s = sink.bytes();
    size_t record = kRecordHeaderSize + decode_record_header(&s[kStreamHeaderSize], 16).stored_size;
    s.erase(s.begin() + kStreamHeaderSize, s.begin() + kStreamHeaderSize + record);
    CHECK(read_all(s).find("records were lost or added") != std::string::npos);
  }
  SUBCASE("garbage after the end") {
    MemorySink sink;
    Writer(sink).finish();
    auto s = sink.bytes();
    size_t end = s.size();
    s.push_back('x');
    uint64_t offset = 0;
    CHECK(read_all(s, &offset).find("unexpected data after the end") != std::string::npos);
    CHECK(offset == end);
  }
  SUBCASE("metadata with a line break") {
    auto s = header;
    append_record(s, 1, bytes_of("{\"modality\":\"text\",\n\"tokenizer\":\"t\",\"vocab_size\":2}"));
    CHECK(read_all(s).find("line break") != std::string::npos);
  }
}
