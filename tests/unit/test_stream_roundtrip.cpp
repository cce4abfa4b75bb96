#include <doctest/doctest.h>

#include <random>

#include "error.h"
#include "random_streams.h"
#include "stream/reader.h"
#include "stream/segment.h"
#include "stream/writer.h"

using namespace mm;
using namespace mm::stream;
using mm::testing::random_stream;
using mm::testing::read_stream;
using mm::testing::write_stream;

namespace {

std::string text_segment(const std::string& tokenizer = "bytes", uint64_t vocab = 256) {
  return segment_metadata("text", tokenizer, vocab, "user");
}

std::vector<uint8_t> small_stream(const std::string& tokenizer = "bytes") {
  MemorySink sink;
  Writer writer(sink);
  writer.begin_segment(text_segment(tokenizer));
  writer.tokens(std::vector<uint32_t>{104, 105});
  writer.end_segment();
  writer.finish();
  return sink.bytes();
}

}  // namespace

TEST_CASE("property: random streams read back exactly what was written") {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto spec = random_stream(rng);
    auto bytes = write_stream(spec);
    CHECK(read_stream(bytes) == spec);
  }
}

TEST_CASE("an empty stream is valid and holds nothing") {
  MemorySink sink;
  Writer writer(sink);
  writer.finish();
  CHECK(sink.bytes().size() == kStreamHeaderSize + kRecordHeaderSize + 32);
  MemorySource source(sink.bytes().data(), sink.bytes().size());
  Reader reader(source);
  CHECK(reader.next() == Event::MemberEnd);
  CHECK(reader.next() == Event::Eof);
  CHECK(reader.next() == Event::Eof);
}

TEST_CASE("the writer splits long token runs into records of bounded size") {
  MemorySink sink;
  WriterOptions options;
  options.record_tokens = 10;
  Writer writer(sink, options);
  writer.begin_segment(text_segment());
  std::vector<uint32_t> codes(25, 7);
  writer.tokens(codes);
  writer.end_segment();
  writer.finish();
  MemorySource source(sink.bytes().data(), sink.bytes().size());
  Reader reader(source);
  std::vector<size_t> sizes;
  for (Event e; (e = reader.next()) != Event::Eof;)
    if (e == Event::Tokens) sizes.push_back(reader.tokens().size());
  CHECK(sizes == std::vector<size_t>{10, 10, 5});
}

TEST_CASE("records are readable as soon as the writer flushes them") {
  MemorySink sink;
  Writer writer(sink);
  writer.begin_segment(text_segment());
  writer.tokens(std::vector<uint32_t>{1, 2, 3});
  writer.flush();
  std::vector<uint8_t> so_far = sink.bytes();
  MemorySource source(so_far.data(), so_far.size());
  Reader reader(source);
  CHECK(reader.next() == Event::SegmentBegin);
  CHECK(reader.next() == Event::Tokens);
  CHECK(reader.tokens() == std::vector<uint32_t>{1, 2, 3});
  CHECK_THROWS_WITH_AS(reader.next(), doctest::Contains("truncated"), FormatError);
}

TEST_CASE("concatenated streams read as one") {
  auto a = small_stream(), b = small_stream();
  std::vector<uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  MemorySource source(both.data(), both.size());
  Reader reader(source);
  int segments = 0, ends = 0;
  for (Event e; (e = reader.next()) != Event::Eof;) {
    segments += e == Event::SegmentBegin;
    ends += e == Event::MemberEnd;
  }
  CHECK(segments == 2);
  CHECK(ends == 2);
  CHECK(reader.members() == 2);
  CHECK(reader.offset() == both.size());
}

TEST_CASE("concatenating streams of different tokenizers fails at the join") {
  auto a = small_stream("bytes"), b = small_stream("bpe-32k");
  std::vector<uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  MemorySource source(both.data(), both.size());
  Reader reader(source);
  try {
    while (reader.next() != Event::Eof) {
    }
    FAIL("mixed tokenizers accepted");
  } catch (const FormatError& e) {
    CHECK(e.offset() == a.size() + kStreamHeaderSize);
    CHECK(std::string(e.what()).find("different tokenizers") != std::string::npos);
  }
}

TEST_CASE("the writer refuses what a reader would reject") {
  MemorySink sink;
  Writer writer(sink);
  CHECK_THROWS_AS(writer.tokens(std::vector<uint32_t>{1}), Error);
  CHECK_THROWS_AS(writer.end_segment(), Error);
  CHECK_THROWS_AS(writer.begin_segment("{}"), Error);
  writer.begin_segment(text_segment());
  CHECK_THROWS_WITH_AS(writer.tokens(std::vector<uint32_t>{256}), doctest::Contains("out of range"), Error);
  CHECK_THROWS_AS(writer.begin_segment(text_segment()), Error);
  CHECK_THROWS_AS(writer.finish(), Error);
  writer.end_segment();
  CHECK_THROWS_WITH_AS(writer.begin_segment(text_segment("other")), doctest::Contains("different tokenizers"), Error);
  CHECK_THROWS_AS(writer.ancillary_record(2, 0, {}), Error);
  writer.finish();
  CHECK_THROWS_AS(writer.begin_segment(text_segment()), Error);
  CHECK_THROWS_AS(Writer(sink, WriterOptions{99, 10}), UsageError);
}

TEST_CASE("ancillary records of unknown types are passed over and kept") {
  MemorySink sink;
  Writer writer(sink);
  writer.ancillary_record(200, 7, {1, 2, 3});
  writer.finish();
  MemorySource source(sink.bytes().data(), sink.bytes().size());
  Reader reader(source);
  CHECK(reader.next() == Event::Ancillary);
  CHECK(reader.record().type == 200);
  CHECK(reader.record().param == 7);
  CHECK(reader.payload() == std::vector<uint8_t>{1, 2, 3});
  CHECK(reader.next() == Event::MemberEnd);
}

TEST_CASE("compressible payloads are stored compressed, tiny ones raw") {
  MemorySink sink;
  Writer writer(sink);
  writer.begin_segment(text_segment());
  writer.tokens(std::vector<uint32_t>(10000, 65));
  writer.end_segment();
  writer.finish();
  CHECK(sink.bytes().size() < 400);
  MemorySource source(sink.bytes().data(), sink.bytes().size());
  Reader reader(source);
  reader.next();
  CHECK((reader.record().flags & kFlagCompressed) == 0);  // metadata is short
  reader.next();
  CHECK((reader.record().flags & kFlagCompressed) != 0);
  CHECK(reader.tokens().size() == 10000);
}
