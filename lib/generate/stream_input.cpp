#include "generate/stream_input.h"

#include <nlohmann/json.hpp>

#include "error.h"
#include "stream/segment.h"

namespace mm::generate {

Shape segment_shape(const std::string& modality, const std::string& metadata_json) {
  if (!is_visual(modality)) return Shape{};
  auto meta = nlohmann::json::parse(metadata_json, nullptr, false);
  Shape shape;
  auto grid = meta.find("grid");
  auto side = [&](const nlohmann::json& v) -> uint32_t {
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > UINT32_MAX)
      throw Error(modality + " segment: \"grid\" sides must be positive integers");
    return v.get<uint32_t>();
  };
  if (grid == meta.end()) throw Error(modality + " segment without a \"grid\" (codes per row and rows)");
  if (grid->is_object() && grid->contains("width") && grid->contains("height")) {
    shape.width = side((*grid)["width"]);
    shape.height = side((*grid)["height"]);
  } else if (grid->is_array() && grid->size() == 2) {
    shape.width = side((*grid)[0]);
    shape.height = side((*grid)[1]);
  } else {
    throw Error(modality + " segment: \"grid\" must be {\"width\": W, \"height\": H}");
  }
  if (auto frames = meta.find("frames"); frames != meta.end() && modality == "video") shape.frames = side(*frames);
  return shape;
}

StreamInputSummary read_stream_input(stream::Reader& reader, SequenceBuilder& builder, const Layout& layout,
                                     stream::Writer* through) {
  StreamInputSummary summary;
  for (;;) {
    stream::Event event = reader.next();
    switch (event) {
      case stream::Event::SegmentBegin: {
        const auto& info = reader.segment();
        const std::string where = "segment " + std::to_string(summary.segments) + " (" + info.modality + ")";
        if (!layout.has(info.modality))
          throw Error(where + ": the bundle's layout has no code range for " + info.modality);
        if (info.vocab_size > layout.range(info.modality).size)
          throw Error(where + ": its tokenizer has " + std::to_string(info.vocab_size) +
                      " codes, the bundle's layout " + std::to_string(layout.range(info.modality).size) +
                      " (a stream tokenized for another bundle?)");
        try {
          builder.begin_segment(info.modality, info.role, segment_shape(info.modality, info.json));
        } catch (const Error& e) {
          throw Error(where + ": " + e.what());
        }
        summary.last_role = info.role;
        if (through) through->begin_segment(info.json);
        break;
      }
      case stream::Event::Tokens:
        try {
          builder.codes(reader.tokens().data(), reader.tokens().size());
        } catch (const Error& e) {
          throw Error("segment " + std::to_string(summary.segments) + ": " + e.what());
        }
        summary.codes += reader.tokens().size();
        if (through) through->tokens(reader.tokens());
        break;
      case stream::Event::Tensor:
        if (through) through->tensor(reader.tensor());
        break;
      case stream::Event::SegmentEnd:
        try {
          builder.end_segment();
        } catch (const Error& e) {
          throw Error("segment " + std::to_string(summary.segments) + ": " + e.what());
        }
        ++summary.segments;
        if (through) through->end_segment();
        break;
      case stream::Event::Ancillary:
        if (through) through->ancillary_record(reader.record().type, reader.record().param, reader.payload());
        break;
      case stream::Event::MemberEnd:
        break;
      case stream::Event::Eof:
        if (through) through->flush();
        return summary;
    }
  }
}

void append_text_segment(SequenceBuilder& builder, const tokenize::BpeTokenizer& bpe, const std::string& text,
                         const std::string& role, stream::Writer* through) {
  const std::vector<uint32_t> codes = bpe.encode(text);
  builder.begin_segment("text", role);
  builder.codes(codes);
  builder.end_segment();
  if (through) {
    through->begin_segment(stream::segment_metadata("text", bpe.id(), bpe.vocab_size(), role));
    through->tokens(codes);
    through->end_segment();
  }
}

}  // namespace mm::generate
