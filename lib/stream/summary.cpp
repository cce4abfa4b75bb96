#include "stream/summary.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mm::stream {

namespace {

using nlohmann::json;

void put(Sink& sink, const std::string& text) { sink.write(text.data(), text.size()); }

double ratio(uint64_t raw, uint64_t stored) { return stored ? double(raw) / double(stored) : 0.0; }

std::string shape_text(const std::vector<uint64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out;
}

std::string size_text(uint64_t bytes) {
  if (bytes < 10000) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = double(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

class TextSummary : public SummaryWriter {
 public:
  TextSummary(Sink& out, std::string name, bool verbose) : out_(out), name_(std::move(name)), verbose_(verbose) {}

  void record(const RecordHeader& header, uint64_t offset) override {
    if (!verbose_) return;
    heading();
    put(out_, fmt::format("     record at {}: {} ({}), {} raw, {} stored{}\n", offset, record_type_name(header.type),
                          header.type, header.raw_size, header.stored_size,
                          header.flags & kFlagCompressed ? ", zstd" : ""));
  }

  void segment(const SegmentSummary& s) override {
    heading();
    put(out_, fmt::format("{:>5}  {:<8} {:<9} {:<16} {:>8}  {:<18} {:>10} {:>10} {:>10} {:>6.2f}\n", s.index,
                          s.info.modality, s.info.role.empty() ? "-" : s.info.role, s.info.tokenizer,
                          s.info.vocab_size, describe_shape(s.info), s.tokens, size_text(s.raw_bytes),
                          size_text(s.stored_bytes), ratio(s.raw_bytes, s.stored_bytes)));
    for (const auto& t : s.tensors) tensor_line(t);
  }

  void stream_tensor(const TensorSummary& t) override {
    heading();
    tensor_line(t);
  }

  void finish(const StreamSummary& s) override {
    if (!headed_) heading();
    put(out_, fmt::format("{}: mmt {}.{}, {} stream{}, {} segment{}, {} tokens, {} tensor{}; {} ({} raw, ratio {:.2f})",
                          name_, s.version_major, s.version_minor, s.members, s.members == 1 ? "" : "s",
                          s.segments, s.segments == 1 ? "" : "s", s.tokens, s.tensors, s.tensors == 1 ? "" : "s",
                          size_text(s.bytes), size_text(s.raw_bytes), ratio(s.raw_bytes, s.stored_bytes)));
    if (s.tokens) put(out_, fmt::format(", {:.3f} bytes/token", double(s.bytes) / double(s.tokens)));
    put(out_, "\n");
  }

 private:
  void heading() {
    if (headed_) return;
    headed_ = true;
    put(out_, fmt::format("{:>5}  {:<8} {:<9} {:<16} {:>8}  {:<18} {:>10} {:>10} {:>10} {:>6}\n", "#", "modality",
                          "role", "tokenizer", "vocab", "shape", "tokens", "raw", "stored", "ratio"));
  }

  void tensor_line(const TensorSummary& t) {
    put(out_, fmt::format("       tensor {} {} {}\n", t.name, dtype_name(t.dtype), shape_text(t.shape)));
  }

  Sink& out_;
  std::string name_;
  bool verbose_;
  bool headed_ = false;
};

json tensor_json(const TensorSummary& t) {
  return {{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"offset", t.offset}};
}

// Streams {"segments": [...], "tensors": [...], "stream": {...}} as it goes, like ffprobe.
class JsonSummary : public SummaryWriter {
 public:
  JsonSummary(Sink& out, std::string name) : out_(out), name_(std::move(name)) { put(out_, "{\n  \"segments\": ["); }

  void segment(const SegmentSummary& s) override {
    json j = {{"index", s.index},
              {"offset", s.offset},
              {"modality", s.info.modality},
              {"role", s.info.role.empty() ? json(nullptr) : json(s.info.role)},
              {"tokenizer", s.info.tokenizer},
              {"vocab_size", s.info.vocab_size},
              {"tokens", s.tokens},
              {"records", s.records},
              {"raw_bytes", s.raw_bytes},
              {"stored_bytes", s.stored_bytes},
              {"ratio", ratio(s.raw_bytes, s.stored_bytes)},
              {"metadata", json::parse(s.info.json)},
              {"tensors", json::array()}};
    for (const auto& t : s.tensors) j["tensors"].push_back(tensor_json(t));
    put(out_, std::string(first_ ? "\n    " : ",\n    ") + j.dump());
    first_ = false;
  }

  void stream_tensor(const TensorSummary& t) override { tensors_.push_back(tensor_json(t)); }

  void finish(const StreamSummary& s) override {
    json stream = {{"input", name_},
                   {"version", std::to_string(s.version_major) + "." + std::to_string(s.version_minor)},
                   {"members", s.members},
                   {"bytes", s.bytes},
                   {"records", s.records},
                   {"segments", s.segments},
                   {"tokens", s.tokens},
                   {"tensors", s.tensors},
                   {"raw_bytes", s.raw_bytes},
                   {"stored_bytes", s.stored_bytes},
                   {"ratio", ratio(s.raw_bytes, s.stored_bytes)},
                   {"bytes_per_token", s.tokens ? double(s.bytes) / double(s.tokens) : 0.0}};
    put(out_, std::string(first_ ? "" : "\n  ") + "],\n  \"tensors\": " + tensors_.dump() +
                  ",\n  \"stream\": " + stream.dump() + "\n}\n");
  }

 private:
  Sink& out_;
  std::string name_;
  bool first_ = true;
  json tensors_ = json::array();
};

}  // namespace

std::unique_ptr<SummaryWriter> text_summary(Sink& out, const std::string& input_name, bool verbose) {
  return std::make_unique<TextSummary>(out, input_name, verbose);
}

std::unique_ptr<SummaryWriter> json_summary(Sink& out, const std::string& input_name) {
  return std::make_unique<JsonSummary>(out, input_name);
}

std::string describe_shape(const SegmentInfo& info) {
  json meta = json::parse(info.json, nullptr, false);
  if (!meta.is_object()) return "-";
  std::string out;
  if (auto grid = meta.find("grid"); grid != meta.end() && grid->is_array() && grid->size() == 2)
    out = fmt::format("{}x{}", (*grid)[0].dump(), (*grid)[1].dump());
  else if (grid != meta.end() && grid->is_object() && grid->contains("width") && grid->contains("height"))
    out = fmt::format("{}x{}", (*grid)["width"].dump(), (*grid)["height"].dump());
  if (auto frames = meta.find("frames"); frames != meta.end()) out += fmt::format("x{}", frames->dump());
  if (auto fps = meta.find("fps"); fps != meta.end() && fps->is_number())
    out += fmt::format(" @ {:g} fps", fps->get<double>());
  if (auto rate = meta.find("sample_rate"); rate != meta.end())
    out += fmt::format("{}{} Hz", out.empty() ? "" : ", ", rate->dump());
  if (auto language = meta.find("language"); language != meta.end() && language->is_string() && out.empty())
    out = language->get<std::string>();
  return out.empty() ? "-" : out;
}

StreamSummary summarize(Reader& reader, SummaryWriter* writer,
                        const std::function<void(uint64_t, uint64_t)>& progress) {
  StreamSummary stream;
  SegmentSummary segment;
  bool in_segment = false;
  for (;;) {
    Event event = reader.next();
    if (event == Event::Eof) break;
    const RecordHeader& header = reader.record();
    uint64_t stored = kRecordHeaderSize + header.stored_size;
    uint64_t raw = kRecordHeaderSize + header.raw_size;
    ++stream.records;
    stream.raw_bytes += raw;
    stream.stored_bytes += stored;
    if (writer) writer->record(header, reader.record_offset());
    switch (event) {
      case Event::SegmentBegin:
        segment = SegmentSummary{};
        segment.index = stream.segments++;
        segment.offset = reader.record_offset();
        segment.info = reader.segment();
        in_segment = true;
        break;
      case Event::Tokens:
        segment.tokens += reader.tokens().size();
        stream.tokens += reader.tokens().size();
        break;
      case Event::Tensor: {
        const Tensor& t = reader.tensor();
        TensorSummary summary{t.name, t.dtype, t.shape, reader.record_offset()};
        ++stream.tensors;
        if (in_segment) segment.tensors.push_back(summary);
        else if (writer) writer->stream_tensor(summary);
        break;
      }
      case Event::MemberEnd:
        ++stream.members;
        stream.version_major = reader.stream_header().major;
        stream.version_minor = reader.stream_header().minor;
        break;
      default:
        break;
    }
    if (in_segment) {
      ++segment.records;
      segment.raw_bytes += raw;
      segment.stored_bytes += stored;
    }
    if (event == Event::SegmentEnd) {
      in_segment = false;
      if (writer) writer->segment(segment);
    }
    if (progress) progress(reader.offset(), stream.tokens);
  }
  stream.bytes = reader.offset();
  if (writer) writer->finish(stream);
  return stream;
}

}  // namespace mm::stream
