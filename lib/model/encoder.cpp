#include "model/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.h"
#include "generate/prefill_pieces.h"
#include "generate/stream_input.h"
#include "stream/tensor.h"

namespace mm::model {

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
  auto run = [&](bool pool, size_t pool_from, size_t pool_to) {
    const auto& ids = builder.ids();
    if (ids.size() > capacity)
      throw Error("segment " + std::to_string(summary.segments) + ": the sequence needs more than " +
                  std::to_string(capacity) + " positions (the model has " + std::to_string(config.max_positions) + ")");
    std::vector<float> hidden;
    for (const auto& piece : generate::prefill_pieces(layout, ids, consumed)) {
      backbone.prefill(0, ids.data() + piece.begin, piece.size(), nullptr, pool ? &hidden : nullptr);
      if (pool)
        for (size_t i = 0; i < piece.size(); ++i) {
          const size_t position = piece.begin + i;
          if (position < pool_from || position >= pool_to) continue;
          const float* h = hidden.data() + i * H;
          for (size_t k = 0; k < H; ++k) pooled[k] += h[k];
        }
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
          double norm = 0;
          for (double v : pooled) norm += v * v;
          norm = std::sqrt(norm);
          // An empty segment has no positions: its embedding is zero, which its norm tells.
          std::vector<float> unit(H, 0.0f);
          if (segment_end > segment_first && norm > 0)
            for (size_t k = 0; k < H; ++k) unit[k] = float(pooled[k] / norm);
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
