#include <doctest/doctest.h>

#include "error.h"
#include "generate/layout.h"
#include "generate/segment_output.h"
#include "generate/stream_input.h"
#include "stream/reader.h"
#include "stream/segment.h"
#include "stream/writer.h"

using namespace mm;
using namespace mm::generate;

namespace {

Layout small_layout() { return Layout::packed({{"text", 300}, {"image", 16}}, {{"code", "text"}, {"video", "image"}}); }

std::vector<uint8_t> small_stream() {
  stream::MemorySink sink;
  stream::Writer w(sink);
  w.begin_segment(R"({"modality":"text","role":"user","tokenizer":"t","vocab_size":300})");
  w.tokens({5, 6, 7});
  w.end_segment();
  w.begin_segment(R"({"modality":"image","grid":{"width":2,"height":2},"tokenizer":"v","vocab_size":16})");
  w.tokens({1, 2});
  w.tokens({3, 4});
  stream::Tensor t;
  t.name = "embedding";
  t.dtype = stream::DType::F32;
  t.shape = {1};
  t.data = {0, 0, 128, 63};
  w.tensor(t);
  w.end_segment();
  w.begin_segment(R"({"modality":"video","grid":[1,1],"frames":3,"tokenizer":"v","vocab_size":16})");
  w.tokens({9, 8, 7});
  w.end_segment();
  w.finish();
  return sink.bytes();
}

}  // namespace

TEST_CASE("stream input: shapes from the metadata, both grid forms, frames for video") {
  CHECK(segment_shape("image", R"({"grid":{"width":8,"height":3}})") == Shape{8, 3, 1});
  CHECK(segment_shape("image", R"({"grid":[8,3],"frames":5})") == Shape{8, 3, 1});
  CHECK(segment_shape("video", R"({"grid":[8,3],"frames":5})") == Shape{8, 3, 5});
  CHECK(segment_shape("text", R"({})") == Shape{});
  CHECK_THROWS_WITH_AS(segment_shape("image", R"({})"), doctest::Contains("without a \"grid\""), Error);
  CHECK_THROWS_WITH_AS(segment_shape("image", R"({"grid":{"width":0,"height":3}})"), doctest::Contains("positive"),
                       Error);
  CHECK_THROWS_WITH_AS(segment_shape("image", R"({"grid":"8x3"})"), doctest::Contains("must be"), Error);
}

TEST_CASE("stream input: the sequence of a stream, and every record written through unchanged") {
  Layout l = small_layout();
  auto bytes = small_stream();
  stream::MemorySource source(bytes.data(), bytes.size());
  stream::Reader reader(source);
  stream::MemorySink copy;
  stream::Writer through(copy);
  SequenceBuilder builder(l);
  auto summary = read_stream_input(reader, builder, l, &through);
  through.finish();
  CHECK(copy.bytes() == bytes);
  CHECK(summary.segments == 3);
  CHECK(summary.codes == 10);
  SequenceParser parser(l);
  parser.push(builder.ids());
  auto segments = parser.take();
  REQUIRE(segments.size() == 3);
  CHECK(segments[0].role == "user");
  CHECK(segments[0].codes == std::vector<uint32_t>{5, 6, 7});
  CHECK(segments[1].shape == Shape{2, 2, 1});
  CHECK(segments[2].shape == Shape{1, 1, 3});
}

TEST_CASE("stream input: segments the layout cannot hold are refused with their index") {
  Layout text_only = Layout::packed({{"text", 300}});
  auto bytes = small_stream();
  {
    stream::MemorySource source(bytes.data(), bytes.size());
    stream::Reader reader(source);
    SequenceBuilder builder(text_only);
    CHECK_THROWS_WITH_AS(read_stream_input(reader, builder, text_only, nullptr),
                         doctest::Contains("segment 1 (image): the bundle's layout has no code range for image"), Error);
  }
  Layout tiny_text = Layout::packed({{"text", 100}, {"image", 16}});
  stream::MemorySource source(bytes.data(), bytes.size());
  stream::Reader reader(source);
  SequenceBuilder builder(tiny_text);
  CHECK_THROWS_WITH_AS(read_stream_input(reader, builder, tiny_text, nullptr),
                       doctest::Contains("segment 0 (text): its tokenizer has 300 codes, the bundle's layout 100"),
                       Error);
}

TEST_CASE("segment writer: generated ids become a segment, flushed per row") {
  Layout l = small_layout();
  const uint32_t I = l.range("image").offset;
  stream::MemorySink sink;
  stream::Writer w(sink);
  SegmentWriter out(l, w, R"({"modality":"image","grid":{"width":2,"height":2},"tokenizer":"v","vocab_size":16})");
  std::vector<uint32_t> ids = {l.marker(Marker::BeginImage), I + 1, I + 2, l.marker(Marker::RowBreak), I + 3, I + 15,
                               l.marker(Marker::RowBreak), l.marker(Marker::EndImage)};
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK_FALSE(out.done());
    out.push(ids[i]);
  }
  CHECK(out.done());
  CHECK_THROWS_AS(out.push(I), Error);
  w.finish();
  stream::MemorySource source(sink.bytes().data(), sink.bytes().size());
  stream::Reader reader(source);
  std::vector<std::vector<uint32_t>> records;
  for (stream::Event e; (e = reader.next()) != stream::Event::Eof;)
    if (e == stream::Event::Tokens) records.push_back(reader.tokens());
  CHECK(records == std::vector<std::vector<uint32_t>>{{1, 2}, {3, 15}});  // a record per row
}
