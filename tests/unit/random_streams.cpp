#include "random_streams.h"

#include <nlohmann/json.hpp>

#include "stream/reader.h"
#include "stream/segment.h"
#include "stream/writer.h"

namespace mm::testing {

namespace {

stream::Tensor random_tensor(std::mt19937_64& rng, const std::string& name) {
  static const stream::DType kTypes[] = {stream::DType::F32, stream::DType::F16, stream::DType::BF16,
                                         stream::DType::F64, stream::DType::I8,  stream::DType::U8,
                                         stream::DType::I16, stream::DType::I32, stream::DType::I64};
  stream::Tensor t;
  t.name = name;
  t.dtype = kTypes[rng() % 9];
  size_t rank = rng() % 4;
  uint64_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    t.shape.push_back(1 + rng() % 6);
    count *= t.shape.back();
  }
  t.data.resize(count * stream::dtype_size(t.dtype));
  for (auto& b : t.data) b = uint8_t(rng());
  return t;
}

}  // namespace

StreamSpec random_stream(std::mt19937_64& rng, size_t max_segments, size_t max_record_tokens) {
  static const char* kModalities[] = {"text", "code", "image", "video", "audio"};
  static const uint64_t kVocabularies[] = {2, 256, 257, 8192, 65536, 65537, 1u << 24, (1ull << 24) + 1, 1ull << 32};
  static const char* kRoles[] = {"", "system", "user", "assistant"};
  StreamSpec spec;
  spec.level = int(rng() % 5) + 1;
  uint64_t vocab_of[5];
  for (auto& v : vocab_of) v = kVocabularies[rng() % 9];
  if (rng() % 4 == 0) spec.stream_tensors.push_back(random_tensor(rng, "state.k"));
  size_t segments = rng() % (max_segments + 1);
  for (size_t s = 0; s < segments; ++s) {
    size_t m = rng() % 5;
    nlohmann::json extra = nlohmann::json::object();
    if (m == 2 || m == 3) extra["grid"] = {1 + rng() % 64, 1 + rng() % 64};
    if (m == 3) {
      extra["frames"] = 1 + rng() % 16;
      extra["fps"] = 0.5 + double(rng() % 60);
    }
    if (m == 4) extra["sample_rate"] = 8000 + rng() % 40000;
    if (m == 1) extra["language"] = "c++";
    if (rng() % 2) extra["source"] = "file \"" + std::to_string(rng() % 1000) + "\".bin \xc3\xa9";
    SegmentSpec seg;
    uint64_t vocab = vocab_of[m];
    seg.metadata = stream::segment_metadata(kModalities[m], std::string("tok-") + kModalities[m] + "-" +
                                                                std::to_string(vocab),
                                            vocab, kRoles[rng() % 4], extra.dump());
    size_t records = rng() % 4;
    for (size_t r = 0; r < records; ++r) {
      std::vector<uint32_t> codes(1 + rng() % max_record_tokens);
      // Mix repetitive runs (compressible) with uniform noise (not).
      bool noisy = rng() % 2;
      uint32_t last = 0;
      for (auto& c : codes) {
        if (noisy || rng() % 4 == 0) last = uint32_t(rng() % vocab);
        c = last;
      }
      seg.records.push_back(std::move(codes));
    }
    if (rng() % 3 == 0) seg.tensors.push_back(random_tensor(rng, "embedding"));
    spec.segments.push_back(std::move(seg));
  }
  return spec;
}

std::vector<uint8_t> write_stream(const StreamSpec& spec) {
  stream::MemorySink sink;
  stream::WriterOptions options;
  options.level = spec.level;
  stream::Writer writer(sink, options);
  for (const auto& t : spec.stream_tensors) writer.tensor(t);
  for (const auto& seg : spec.segments) {
    writer.begin_segment(seg.metadata);
    for (const auto& codes : seg.records) {
      writer.tokens(codes);
      writer.flush();
    }
    for (const auto& t : seg.tensors) writer.tensor(t);
    writer.end_segment();
  }
  writer.finish();
  return std::move(sink.bytes());
}

StreamSpec read_stream(const std::vector<uint8_t>& bytes) {
  stream::MemorySource source(bytes.data(), bytes.size());
  stream::Reader reader(source);
  StreamSpec spec;
  bool in_segment = false;
  for (stream::Event e; (e = reader.next()) != stream::Event::Eof;) {
    spec.level = reader.stream_header().level;
    switch (e) {
      case stream::Event::SegmentBegin:
        spec.segments.push_back({reader.segment().json, {}, {}});
        in_segment = true;
        break;
      case stream::Event::Tokens: spec.segments.back().records.push_back(reader.tokens()); break;
      case stream::Event::Tensor:
        (in_segment ? spec.segments.back().tensors : spec.stream_tensors).push_back(reader.tensor());
        break;
      case stream::Event::SegmentEnd: in_segment = false; break;
      default: break;
    }
  }
  return spec;
}

bool operator==(const StreamSpec& a, const StreamSpec& b) {
  auto same_tensors = [](const std::vector<stream::Tensor>& x, const std::vector<stream::Tensor>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].name != y[i].name || x[i].dtype != y[i].dtype || x[i].shape != y[i].shape || x[i].data != y[i].data)
        return false;
    return true;
  };
  if (a.level != b.level || a.segments.size() != b.segments.size() ||
      !same_tensors(a.stream_tensors, b.stream_tensors))
    return false;
  for (size_t i = 0; i < a.segments.size(); ++i)
    if (a.segments[i].metadata != b.segments[i].metadata || a.segments[i].records != b.segments[i].records ||
        !same_tensors(a.segments[i].tensors, b.segments[i].tensors))
      return false;
  return true;
}

}  // namespace mm::testing
