#include "model/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.h"
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

  // Runs the ids built so far, a piece at a time, adding the final states of the positions
  // from `pool_from` on to `pooled`; memory stays bounded however long the segment.
  auto run = [&](bool pool, size_t pool_from) {
    const auto& ids = builder.ids();
    if (ids.size() > capacity)
      throw Error("segment " + std::to_string(summary.segments) + ": the sequence needs more than " +
                  std::to_string(capacity) + " positions (the model has " + std::to_string(config.max_positions) + ")");
    std::vector<float> hidden;
    while (consumed < ids.size()) {
      const size_t n = std::min<size_t>(512, ids.size() - consumed);
      backbone.prefill(0, ids.data() + consumed, n, nullptr, pool ? &hidden : nullptr);
      if (pool)
        for (size_t i = 0; i < n; ++i) {
          if (consumed + i < pool_from) continue;
          const float* h = hidden.data() + i * H;
          for (size_t k = 0; k < H; ++k) pooled[k] += h[k];
        }
      consumed += n;
    }
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
        if (options.embeddings) {
          std::fill(pooled.begin(), pooled.end(), 0.0);
          run(true, segment_first);
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
        try {
          builder.end_segment();
        } catch (const Error& e) {
          throw Error(where() + ": " + e.what());
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
        if (!options.state_path.empty()) {
          // The state must hold the floats that a prefill of the whole sequence gives
          // (mm-generate without a state runs it so, and matrix products round differently
          // for pieces of other lengths): after pieces cut at segment ends, run it again.
          if (options.embeddings && consumed > 0) {
            backbone.reset(1, capacity);
            consumed = 0;
          }
          run(false, 0);
          backbone.save_state(0, builder.ids(), options.state_path);
        }
        summary.ids = builder.ids().size();
        return summary;
    }
  }
}

}  // namespace mm::model
