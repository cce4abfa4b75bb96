#include "model/bundle.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "error.h"

namespace mm::model {

namespace {

using json = nlohmann::json;

// Hugging Face's names first (a real config.json maps directly), then the short ones of
// BackboneConfig's fields.
const json* member(const json& j, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = j.find(n);
    if (it != j.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

uint32_t positive(const json& j, std::initializer_list<const char*> names, bool required = true) {
  const json* v = member(j, names);
  if (!v) {
    if (!required) return 0;
    throw Error(std::string("backbone: missing \"") + *names.begin() + "\"");
  }
  if (!v->is_number_unsigned() || v->get<uint64_t>() == 0 || v->get<uint64_t>() > (1u << 30))
    throw Error(std::string("backbone: \"") + *names.begin() + "\" must be a positive integer up to 2^30");
  return uint32_t(v->get<uint64_t>());
}

double number(const json& j, std::initializer_list<const char*> names, double fallback) {
  const json* v = member(j, names);
  if (!v) return fallback;
  if (!v->is_number() || !(v->get<double>() > 0)) throw Error(std::string("backbone: \"") + *names.begin() + "\" must be a positive number");
  return v->get<double>();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BackboneConfig BackboneConfig::from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(std::string("backbone: not JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error("backbone: not a JSON object");
  BackboneConfig c;
  c.vocab_size = positive(j, {"vocab_size"});
  c.hidden_size = positive(j, {"hidden_size"});
  c.layers = positive(j, {"num_hidden_layers", "layers"});
  c.heads = positive(j, {"num_attention_heads", "heads"});
  c.kv_heads = positive(j, {"num_key_value_heads", "kv_heads"}, false);
  if (c.kv_heads == 0) c.kv_heads = c.heads;
  c.intermediate_size = positive(j, {"intermediate_size"});
  c.max_positions = positive(j, {"max_position_embeddings", "max_positions"});
  c.rope_theta = number(j, {"rope_theta"}, 10000.0);
  c.norm_eps = number(j, {"rms_norm_eps", "norm_eps"}, 1e-5);
  if (const json* q = member(j, {"qk_norm"})) {
    if (q->is_boolean()) {
      c.qk_norm = q->get<bool>() ? "rmsnorm" : "none";
    } else if (q->is_string()) {
      c.qk_norm = q->get<std::string>();
    } else {
      throw Error("backbone: \"qk_norm\" must be \"none\", \"layernorm\" or \"rmsnorm\"");
    }
  }
  if (c.qk_norm != "none" && c.qk_norm != "layernorm" && c.qk_norm != "rmsnorm")
    throw Error("backbone: \"qk_norm\" must be \"none\", \"layernorm\" or \"rmsnorm\", not \"" + c.qk_norm + "\"");
  if (const json* t = member(j, {"tie_word_embeddings", "tie_embeddings"})) {
    if (!t->is_boolean()) throw Error("backbone: \"tie_word_embeddings\" must be true or false");
    c.tie_embeddings = t->get<bool>();
  }
  if (c.hidden_size % c.heads != 0)
    throw Error("backbone: hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
                std::to_string(c.heads));
  if (c.heads % c.kv_heads != 0)
    throw Error("backbone: num_attention_heads " + std::to_string(c.heads) + " is not a multiple of num_key_value_heads " +
                std::to_string(c.kv_heads));
  // Bounds that no real model reaches keep a hostile config from sizing anything huge.
  if (c.layers > 1024) throw Error("backbone: num_hidden_layers " + std::to_string(c.layers) + " is beyond 1024");
  if (c.heads > 4096 || c.hidden_size > (1u << 20) || c.intermediate_size > (1u << 22))
    throw Error("backbone: heads, hidden_size or intermediate_size beyond any real model");
  if ((c.hidden_size / c.heads) % 2 != 0) throw Error("backbone: the head size must be even for rotary embeddings");
  c.grid_places = positive(j, {"grid_place_embeddings", "grid_places"}, false);
  if (c.grid_places > 4096)
    throw Error("backbone: \"grid_place_embeddings\" " + std::to_string(c.grid_places) + " is beyond 4096");
  c.align_visual = positive(j, {"align_visual_positions", "align_visual"}, false);
  if (c.align_visual > 65536)
    throw Error("backbone: \"align_visual_positions\" " + std::to_string(c.align_visual) + " is beyond 65536");
  if (const json* g = member(j, {"grid_rope"})) {
    if (!g->is_boolean()) throw Error("backbone: \"grid_rope\" must be true or false");
    c.grid_rope = g->get<bool>();
  }
  if (const json* o = member(j, {"output_ids"})) {
    if (!o->is_array() || o->empty()) throw Error("backbone: \"output_ids\" must be a non-empty array of ids");
    for (const json& id : *o) {
      if (!id.is_number_unsigned() || id.get<uint64_t>() >= c.vocab_size)
        throw Error("backbone: \"output_ids\" holds " + id.dump() + ", not an id below vocab_size " + std::to_string(c.vocab_size));
      const uint32_t value = uint32_t(id.get<uint64_t>());
      if (!c.output_ids.empty() && value <= c.output_ids.back())
        throw Error("backbone: \"output_ids\" must ascend without repeats (" + std::to_string(value) + " after " +
                    std::to_string(c.output_ids.back()) + ")");
      c.output_ids.push_back(value);
    }
  }
  return c;
}

std::string BackboneConfig::to_json() const {
  json j = {{"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"num_hidden_layers", layers},
            {"num_attention_heads", heads},
            {"num_key_value_heads", kv_heads},
            {"intermediate_size", intermediate_size},
            {"max_position_embeddings", max_positions},
            {"rope_theta", rope_theta},
            {"rms_norm_eps", norm_eps},
            {"qk_norm", qk_norm},
            {"tie_word_embeddings", tie_embeddings}};
  if (grid_places > 0) j["grid_place_embeddings"] = grid_places;
  if (align_visual > 0) j["align_visual_positions"] = align_visual;
  if (grid_rope) j["grid_rope"] = true;
  if (!output_ids.empty()) j["output_ids"] = output_ids;
  return j.dump();
}

uint64_t BackboneConfig::parameter_count() const {
  uint64_t n = 0;
  for (const auto& t : expected_tensors(*this)) {
    uint64_t e = 1;
    for (uint64_t d : t.shape) e *= d;
    n += e;
  }
  return n;
}

std::vector<ExpectedTensor> expected_tensors(const BackboneConfig& c) {
  const uint64_t H = c.hidden_size, head = c.heads ? c.hidden_size / c.heads : 0, kv = uint64_t(c.kv_heads) * head;
  std::vector<ExpectedTensor> t;
  t.push_back({"model.embed_tokens.weight", {c.vocab_size, H}});
  if (c.grid_places > 0) {
    t.push_back({"model.embed_grid_rows.weight", {c.grid_places, H}});
    t.push_back({"model.embed_grid_columns.weight", {c.grid_places, H}});
  }
  for (uint32_t l = 0; l < c.layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {H}});
    t.push_back({p + "self_attn.q_proj.weight", {H, H}});
    t.push_back({p + "self_attn.k_proj.weight", {kv, H}});
    t.push_back({p + "self_attn.v_proj.weight", {kv, H}});
    t.push_back({p + "self_attn.o_proj.weight", {H, H}});
    if (c.qk_norm == "rmsnorm") {  // Emu3.5, Qwen3: one weight per head dimension, shared by the heads
      t.push_back({p + "self_attn.q_norm.weight", {head}});
      t.push_back({p + "self_attn.k_norm.weight", {head}});
    } else if (c.qk_norm == "layernorm") {  // Chameleon: a weight and bias per head
      t.push_back({p + "self_attn.q_norm.weight", {c.heads, head}});
      t.push_back({p + "self_attn.q_norm.bias", {c.heads, head}});
      t.push_back({p + "self_attn.k_norm.weight", {c.kv_heads, head}});
      t.push_back({p + "self_attn.k_norm.bias", {c.kv_heads, head}});
    }
    t.push_back({p + "post_attention_layernorm.weight", {H}});
    t.push_back({p + "mlp.gate_proj.weight", {c.intermediate_size, H}});
    t.push_back({p + "mlp.up_proj.weight", {c.intermediate_size, H}});
    t.push_back({p + "mlp.down_proj.weight", {H, c.intermediate_size}});
  }
  t.push_back({"model.norm.weight", {H}});
  if (!c.tie_embeddings) t.push_back({"lm_head.weight", {c.vocab_size, H}});
  return t;
}

std::string shape_string(const std::vector<uint64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

BundleConfig BundleConfig::parse(const std::string& text, const std::string& dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(std::string("config.json: not JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error("config.json: not a JSON object");
  BundleConfig b;
  b.dir = dir;
  b.config_text = text;
  if (auto it = j.find("name"); it != j.end()) {
    if (!it->is_string()) throw Error("config.json: \"name\" is not a string");
    b.name = it->get<std::string>();
  }
  auto backbone = j.find("backbone");
  if (backbone == j.end()) throw Error("config.json: no \"backbone\" object");
  try {
    b.backbone = BackboneConfig::from_json(backbone->dump());
  } catch (const Error& e) {
    throw Error(std::string("config.json: ") + e.what());
  }
  auto section = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end()) return;
    if (!it->is_object()) throw Error(std::string("config.json: \"") + key + "\" is not an object");
    out = it->dump();
  };
  section("layout", b.layout_json);
  try {  // only a backbone whose places depend on images reads the layout here
    if (b.backbone.tracks_places()) b.backbone.visual_markers = VisualMarkers::from_layout_json(b.layout_json);
  } catch (const Error& e) {
    throw Error(std::string("config.json: ") + e.what());
  }
  section("tokenizers", b.tokenizers_json);
  section("generation", b.generation_json);
  if (auto it = j.find("weights"); it != j.end()) {
    if (!it->is_string() || it->get<std::string>().empty()) throw Error("config.json: \"weights\" is not a file name");
    b.weights = it->get<std::string>();
    if (b.weights.find("..") != std::string::npos || b.weights[0] == '/')
      throw Error("config.json: \"weights\" must name a file inside the bundle");
  }
  return b;
}

BundleConfig BundleConfig::load(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / "config.json").string();
  std::string text = read_file(path);
  try {
    return parse(text, dir);
  } catch (const Error& e) {
    std::string what = e.what();
    if (what.rfind("config.json: ", 0) == 0) what = what.substr(13);
    throw Error(path + ": " + what);
  }
}

WeightSet::WeightSet(const BundleConfig& bundle) {
  namespace fs = std::filesystem;
  fs::path dir(bundle.dir);
  std::vector<std::string> names;
  std::map<std::string, std::string> shard_of;  // tensor -> file, from an index
  fs::path weights = dir / bundle.weights;
  fs::path index = dir / (bundle.weights + ".index.json");
  std::string index_text;
  if (bundle.weights.size() > 11 && bundle.weights.compare(bundle.weights.size() - 11, 11, ".index.json") == 0)
    index = weights;
  std::error_code ec;
  if (fs::is_regular_file(index, ec) && (index == weights || !fs::exists(weights, ec))) {
    index_text = read_file(index.string());
    json j;
    try {
      j = json::parse(index_text);
    } catch (const json::exception& e) {
      throw Error(index.string() + ": not JSON: " + e.what());
    }
    auto map = j.find("weight_map");
    if (!j.is_object() || map == j.end() || !map->is_object()) throw Error(index.string() + ": no \"weight_map\" object");
    std::set<std::string> files;
    for (auto& [tensor, file] : map->items()) {
      if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
        throw Error(index.string() + ": " + tensor + ": not a file name beside the index");
      shard_of[tensor] = file.get<std::string>();
      if (files.insert(file.get<std::string>()).second) names.push_back(file.get<std::string>());
    }
  } else {
    if (!fs::is_regular_file(weights, ec))
      throw Error(weights.string() + ": no weights (neither the file nor " + index.filename().string() + ")");
    names.push_back(bundle.weights);
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, bundle.config_text.data(), bundle.config_text.size());
  XXH3_64bits_update(state, index_text.data(), index_text.size());
  try {
    for (const auto& name : names) {
      files_.push_back(std::make_unique<SafetensorsFile>((dir / name).string()));
      const SafetensorsFile& f = *files_.back();
      std::string h = f.header_json();
      XXH3_64bits_update(state, h.data(), h.size());
      // And the first bytes of every tensor: two checkpoints of one shape (a model and its
      // fine-tune) have equal headers. One page per tensor is touched, not the weights.
      for (const auto& e : f.header().tensors)
        XXH3_64bits_update(state, f.bytes(e), size_t(std::min<uint64_t>(64, e.end - e.begin)));
      for (const auto& e : f.header().tensors) {
        if (!shard_of.empty()) {
          auto it = shard_of.find(e.name);
          if (it == shard_of.end() || it->second != name) continue;  // the index says it lives elsewhere
        }
        if (by_name_.count(e.name)) throw Error(e.name + ": in two weight files");
        by_name_[e.name] = {&f, &e};
      }
    }
  } catch (...) {
    XXH3_freeState(state);
    throw;
  }
  identity_ = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  for (const auto& [tensor, file] : shard_of)
    if (!by_name_.count(tensor)) throw Error(tensor + ": the index puts it in " + file + ", which does not hold it");
}

bool WeightSet::has(const std::string& name) const { return by_name_.count(name) > 0; }

WeightSet::Located WeightSet::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) throw Error(name + ": missing from the weights");
  return it->second;
}

void WeightSet::check(const BackboneConfig& config) const {
  std::set<std::string> expected;
  for (const auto& t : expected_tensors(config)) {
    Located l = find(t.name);
    if (l.entry->shape != t.shape)
      throw Error(t.name + ": shape " + shape_string(l.entry->shape) + " in " + l.file->path() + ", the config implies " +
                  shape_string(t.shape));
    expected.insert(t.name);
  }
  for (const auto& [name, l] : by_name_)
    if (!expected.count(name) && (name.rfind("model.", 0) == 0 || name == "lm_head.weight"))
      throw Error(name + ": in " + l.file->path() + " but not part of a backbone of this config" +
                  (name == "lm_head.weight" ? " (tie_word_embeddings is true)" : ""));
}

std::string data_checksum(const SafetensorsFile& file) {
  uint64_t h = XXH3_64bits(file.mapping()->data() + (file.mapping()->size() - file.data_size()), file.data_size());
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

}  // namespace mm::model
