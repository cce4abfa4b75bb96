#include "model/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.h"
#include "generate/prefill_pieces.h"
#include "generate/stream_input.h"
#include "stream/tensor.h"

namespace mm::model {

namespace {

// Sums of hidden states -> their mean's direction, as every embedding is made; zeros when
// nothing was pooled (which the norm tells).
std::vector<float> unit_length(const std::vector<double>& sum, bool pooled_any) {
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  std::vector<float> unit(sum.size(), 0.0f);
  if (pooled_any && norm > 0)
    for (size_t k = 0; k < sum.size(); ++k) unit[k] = float(sum[k] / norm);
  return unit;
}

// Adds the hidden states of positions [from, to) of a piece that starts at `piece_begin`.
void pool(const std::vector<float>& hidden, size_t piece_begin, size_t piece_size, size_t from, size_t to,
          std::vector<double>& sum) {
  const size_t H = sum.size();
  for (size_t i = 0; i < piece_size; ++i) {
    const size_t position = piece_begin + i;
    if (position < from || position >= to) continue;
    const float* h = hidden.data() + i * H;
    for (size_t k = 0; k < H; ++k) sum[k] += h[k];
  }
}

}  // namespace

std::vector<float> embed_segment(Backbone& backbone, const generate::Layout& layout,
                                 const generate::SequenceParser::Segment& segment) {
  generate::SequenceBuilder builder(layout);
  builder.begin_segment(segment.modality, "", segment.shape);
  const size_t first = builder.ids().size();
  builder.codes(segment.codes);
  const size_t end = builder.ids().size();
  builder.end_segment();
  const auto& ids = builder.ids();
  const size_t positions = backbone.config().max_positions;
  if (ids.size() > positions)
    throw Error("a " + segment.modality + " segment of " + std::to_string(ids.size()) + " ids is beyond the model's " +
                std::to_string(positions) + " positions");
  backbone.reset(1, ids.size());
  std::vector<double> sum(backbone.config().hidden_size, 0.0);
  std::vector<float> hidden;
  for (const auto& piece : generate::prefill_pieces(layout, ids, 0)) {
    backbone.prefill(0, ids.data() + piece.begin, piece.size(), nullptr, &hidden);
    pool(hidden, piece.begin, piece.size(), first, end, sum);
  }
  return unit_length(sum, end > first);
}

std::optional<generate::SequenceParser::Segment> judged_subject(const generate::Layout& layout,
                                                                const std::vector<uint32_t>& ids) {
  generate::SequenceParser parsed(layout);
  parsed.push(ids);
  std::vector<generate::SequenceParser::Segment> segments = parsed.take();
  if (segments.empty()) return std::nullopt;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it)
    if (it->modality != "text") return std::move(*it);
  return std::move(segments.back());
}

SampleChoice nearest_sample(Backbone& backbone, const generate::Layout& layout, const std::vector<float>& query,
                            const std::vector<std::vector<uint32_t>>& samples) {
  SampleChoice choice;
  for (size_t i = 0; i < samples.size(); ++i) {
    generate::SequenceParser parsed(layout);
    parsed.push(layout.marker(generate::Marker::Bos));
    parsed.push(samples[i]);
    auto segments = parsed.take();
    if (segments.empty()) throw Error("sample " + std::to_string(i) + " holds no whole segment");
    const std::vector<float> embedding = embed_segment(backbone, layout, segments.back());
    if (embedding.size() != query.size()) throw Error("internal: the judge's embedding is not the model's size");
    double similarity = 0;
    for (size_t k = 0; k < embedding.size(); ++k) similarity += double(embedding[k]) * query[k];
    choice.similarities.push_back(similarity);
    if (similarity > choice.similarities[choice.best]) choice.best = i;
  }
  return choice;
}

EncodeSummary encode_stream(Backbone& backbone, const generate::Layout& layout, stream::Reader& reader,
                            stream::Writer& writer, const EncodeOptions& options) {
  const BackboneConfig& config = backbone.config();
  size_t capacity = options.capacity ? options.capacity : std::min<size_t>(config.max_positions, 16384);
  if (capacity > config.max_positions)
    throw UsageError("capacity " + std::to_string(capacity) + " is beyond the model's " +
                     std::to_string(config.max_positions) + " positions");
  backbone.reset(1, capacity);
  generate::SequenceBuilder builder(layout);
  EncodeSummary summary;
  size_t consumed = 0;       // ids the backbone has seen
  size_t segment_first = 0;  // the open segment's first position after its begin marker
  const size_t H = config.hidden_size;
  std::vector<double> pooled(H);

  // Runs the ids built so far in the pieces every prefill uses (see generate/prefill_pieces.h),
  // so the KV state is the one a prefill of the whole sequence gives; adds the final states
  // of positions [pool_from, pool_to) to `pooled`. Memory stays bounded however long the
  // segment: a piece is at most kPrefillChunk ids.
  auto run = [&](bool pooling, size_t pool_from, size_t pool_to) {
    const auto& ids = builder.ids();
    if (ids.size() > capacity)
      throw Error("segment " + std::to_string(summary.segments) + ": the sequence needs more than " +
                  std::to_string(capacity) + " positions (the model has " + std::to_string(config.max_positions) + ")");
    std::vector<float> hidden;
    for (const auto& piece : generate::prefill_pieces(layout, ids, consumed)) {
      backbone.prefill(0, ids.data() + piece.begin, piece.size(), nullptr, pooling ? &hidden : nullptr);
      if (pooling) pool(hidden, piece.begin, piece.size(), pool_from, pool_to, pooled);
    }
    consumed = ids.size();
  };
  auto where = [&] { return "segment " + std::to_string(summary.segments) + " (" + reader.segment().modality + ")"; };

  for (;;) {
    stream::Event event = reader.next();
    switch (event) {
      case stream::Event::SegmentBegin: {
        const auto& info = reader.segment();
        if (!layout.has(info.modality)) throw Error(where() + ": the bundle's layout has no code range for " + info.modality);
        if (info.vocab_size > layout.range(info.modality).size)
          throw Error(where() + ": its tokenizer has " + std::to_string(info.vocab_size) + " codes, the bundle's layout " +
                      std::to_string(layout.range(info.modality).size) + " (a stream tokenized for another bundle?)");
        try {
          builder.begin_segment(info.modality, info.role, generate::segment_shape(info.modality, info.json));
        } catch (const Error& e) {
          throw Error(where() + ": " + e.what());
        }
        segment_first = builder.ids().size();
        writer.begin_segment(info.json);
        break;
      }
      case stream::Event::Tokens:
        try {
          builder.codes(reader.tokens().data(), reader.tokens().size());
        } catch (const Error& e) {
          throw Error(where() + ": " + e.what());
        }
        writer.tokens(reader.tokens());
        break;
      case stream::Event::Tensor:
        // An embedding from an earlier run is replaced by this one.
        if (!(options.embeddings && reader.tensor().name == "embedding")) writer.tensor(reader.tensor());
        break;
      case stream::Event::SegmentEnd: {
        const size_t segment_end = builder.ids().size();
        try {
          builder.end_segment();
        } catch (const Error& e) {
          throw Error(where() + ": " + e.what());
        }
        // The sequence now ends at a split point (the segment's end marker): the piece that
        // holds the segment is complete and runs as the stream arrives.
        std::fill(pooled.begin(), pooled.end(), 0.0);
        run(options.embeddings, segment_first, segment_end);
        if (options.embeddings) {
          const std::vector<float> unit = unit_length(pooled, segment_end > segment_first);
          stream::Tensor t;
          t.name = "embedding";
          t.dtype = stream::DType::F32;
          t.shape = {H};
          t.data.resize(H * 4);
          std::memcpy(t.data.data(), unit.data(), H * 4);  // little-endian hosts only, as everywhere in mm
          writer.tensor(t);
        }
        writer.end_segment();
        writer.flush();
        ++summary.segments;
        break;
      }
      case stream::Event::Ancillary:
        writer.ancillary_record(reader.record().type, reader.record().param, reader.payload());
        break;
      case stream::Event::MemberEnd:
        break;
      case stream::Event::Eof:
        run(false, 0, 0);  // a stream without segments: <|bos|> alone
        if (!options.state_path.empty()) backbone.save_state(0, builder.ids(), options.state_path);
        summary.ids = builder.ids().size();
        return summary;
    }
  }
}

}  // namespace mm::model
