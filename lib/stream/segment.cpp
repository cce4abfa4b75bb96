#include "stream/segment.h"

#include <nlohmann/json.hpp>

#include "error.h"
#include "stream/format.h"

namespace mm::stream {

namespace {

using nlohmann::json;

const char* const kModalities[] = {"text", "code", "image", "video", "audio"};
const char* const kRoles[] = {"system", "user", "assistant"};

bool is_positive_integer(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>() > 0;
  return value.is_number_integer() && value.get<int64_t>() > 0;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw Error("segment metadata: " + message);
}

}  // namespace

bool is_known_modality(const std::string& modality) {
  for (const char* known : kModalities)
    if (modality == known) return true;
  return false;
}

SegmentInfo parse_segment_metadata(const std::string& text) {
  require(text.size() <= kMaxMetadataBytes, "larger than " + std::to_string(kMaxMetadataBytes) + " bytes");
  require(text.find_first_of("\r\n") == std::string::npos, "contains a line break (must be one line)");
  json meta = json::parse(text, nullptr, false);
  require(!meta.is_discarded(), "not valid JSON");
  require(meta.is_object(), "not a JSON object");

  SegmentInfo info;
  info.json = text;

  auto modality = meta.find("modality");
  require(modality != meta.end() && modality->is_string(), "missing \"modality\"");
  info.modality = modality->get<std::string>();
  require(is_known_modality(info.modality), "unknown modality \"" + info.modality + "\"");

  auto tokenizer = meta.find("tokenizer");
  require(tokenizer != meta.end() && tokenizer->is_string() && !tokenizer->get<std::string>().empty(),
          "missing \"tokenizer\"");
  info.tokenizer = tokenizer->get<std::string>();
  require(info.tokenizer.size() <= 128, "tokenizer id longer than 128 bytes");

  auto vocab = meta.find("vocab_size");
  require(vocab != meta.end() && is_positive_integer(*vocab), "missing or non-positive \"vocab_size\"");
  info.vocab_size = vocab->get<uint64_t>();
  require(info.vocab_size <= kMaxVocabularySize, "vocab_size above 2^32");

  if (auto role = meta.find("role"); role != meta.end()) {
    require(role->is_string(), "\"role\" is not a string");
    info.role = role->get<std::string>();
    bool known = false;
    for (const char* r : kRoles) known |= info.role == r;
    require(known, "unknown role \"" + info.role + "\" (system, user or assistant)");
  }
  // {"width": W, "height": H} (what the tokenizers write) or the older [W, H].
  if (auto grid = meta.find("grid"); grid != meta.end())
    require((grid->is_array() && grid->size() == 2 && is_positive_integer((*grid)[0]) &&
             is_positive_integer((*grid)[1])) ||
                (grid->is_object() && grid->contains("width") && grid->contains("height") &&
                 is_positive_integer((*grid)["width"]) && is_positive_integer((*grid)["height"])),
            "\"grid\" must be {\"width\": W, \"height\": H} (or [W, H]) in codes");
  for (const char* key : {"frames", "sample_rate"})
    if (auto v = meta.find(key); v != meta.end())
      require(is_positive_integer(*v), std::string("\"") + key + "\" must be a positive integer");
  if (auto fps = meta.find("fps"); fps != meta.end())
    require(fps->is_number() && fps->get<double>() > 0, "\"fps\" must be a positive number");
  for (const char* key : {"source", "language"})
    if (auto v = meta.find(key); v != meta.end())
      require(v->is_string(), std::string("\"") + key + "\" must be a string");
  return info;
}

std::string segment_metadata(const std::string& modality, const std::string& tokenizer,
                             uint64_t vocab_size, const std::string& role, const std::string& extra) {
  json meta = {{"modality", modality}, {"tokenizer", tokenizer}, {"vocab_size", vocab_size}};
  if (!role.empty()) meta["role"] = role;
  json more = json::parse(extra, nullptr, false);
  if (more.is_discarded() || !more.is_object()) throw Error("segment metadata: extra fields are not a JSON object");
  meta.update(more);
  return meta.dump();
}

}  // namespace mm::stream
