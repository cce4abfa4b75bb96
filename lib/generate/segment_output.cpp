#include "generate/segment_output.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "error.h"
#include "stream/segment.h"
#include "tokenize/audio_tokenizer.h"
#include "tokenize/visual_metadata.h"

namespace mm::generate {

namespace {

constexpr size_t kAudioFlushCodes = 50;  // a quarter of a second at 200 codes/s

// The audio tokenizer's file, from config.json (TokenizerSet serves text and images).
std::string audio_tokenizer_path(const tokenize::TokenizerSet& tokenizers) {
  std::string path = tokenizers.bundle_dir() + "/config.json";
  std::ifstream in(path);
  auto config = nlohmann::json::parse(in, nullptr, false);
  auto entry = config.is_object() ? config["tokenizers"]["audio"] : nlohmann::json();
  if (!entry.is_object() || !entry["file"].is_string())
    throw Error("the model bundle " + tokenizers.bundle_dir() + " has no tokenizer for audio");
  return tokenizers.bundle_dir() + "/" + entry["file"].get<std::string>();
}

}  // namespace

void plan_audio(const tokenize::TokenizerSet& tokenizers, double seconds, SegmentPlan& plan) {
  auto audio = tokenize::AudioTokenizer::load(audio_tokenizer_path(tokenizers));
  plan.audio_samples = uint64_t(std::llround(seconds * audio.sample_rate()));
  if (plan.audio_samples == 0) throw UsageError("--audio: too short for one sample");
  plan.codes = audio.codes_for(plan.audio_samples);
}

std::string generated_metadata(const tokenize::TokenizerSet& tokenizers, const SegmentPlan& plan, size_t sample,
                               size_t samples) {
  std::string json;
  const std::string& m = plan.modality;
  if (m == "text" || m == "code") {
    const auto& bpe = tokenizers.bpe(m);
    json = stream::segment_metadata(m, bpe.id(), bpe.vocab_size(), plan.role);
  } else if (m == "image" || m == "video") {
    const auto& vq = tokenizers.vq(m);
    auto geometry = tokenize::geometry_for_grid(vq, int(plan.shape.width), int(plan.shape.height));
    if (m == "video") {
      geometry.frames = int(plan.shape.frames);
      geometry.fps = plan.fps;
      for (uint32_t f = 0; f < plan.shape.frames; ++f) geometry.timestamps.push_back(f / plan.fps);
    }
    json = stream::segment_metadata(m, vq.id(), vq.vocab_size(), plan.role,
                                    tokenize::visual_metadata_fields(geometry, m == "video"));
  } else if (m == "audio") {
    auto audio = tokenize::AudioTokenizer::load(audio_tokenizer_path(tokenizers));
    tokenize::AudioSegmentShape shape;
    shape.samples = plan.audio_samples;
    json = audio.segment_metadata(shape, plan.role);
  } else {
    throw Error("cannot generate " + m);
  }
  if (samples > 1) {
    auto meta = nlohmann::json::parse(json);
    meta["sample"] = sample;
    json = meta.dump();
  }
  return json;
}

SegmentWriter::SegmentWriter(const Layout& layout, stream::Writer& writer, std::string metadata,
                             const tokenize::BpeTokenizer* text)
    : layout_(layout), writer_(writer), metadata_(std::move(metadata)), text_(text) {
  range_ = layout.range(stream::parse_segment_metadata(metadata_).modality);
}

void SegmentWriter::push(uint32_t id) {
  if (done_) throw Error("segment writer: an id after the segment's end");
  Marker m;
  if (!layout_.is_marker(id, m)) {
    if (!open_ || !range_.contains(id)) throw Error("segment writer: id " + std::to_string(id) + " out of place");
    uint32_t code = id - range_.offset;
    writer_.tokens(&code, 1);
    ++since_flush_;
    if (text_) {
      const std::string& piece = text_->token(code);
      if (piece.find_first_of(".!?\n") != std::string::npos) writer_.flush(), since_flush_ = 0;
    } else if (since_flush_ >= kAudioFlushCodes) {
      writer_.flush();
      since_flush_ = 0;
    }
    return;
  }
  if (!open_) {
    writer_.begin_segment(metadata_);
    open_ = true;
  } else if (m == Marker::RowBreak || m == Marker::FrameBreak) {
    writer_.flush();
    since_flush_ = 0;
  } else if (m != Marker::BeginText && m != Marker::BeginCode && m != Marker::BeginImage &&
             m != Marker::BeginVideo && m != Marker::BeginAudio) {
    writer_.end_segment();  // its end marker, or <|end_turn|> for text
    writer_.flush();
    done_ = true;
  }
}

}  // namespace mm::generate
