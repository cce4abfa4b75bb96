#include "model/bundle_tools.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <xxhash.h>

#include "error.h"
#include "generate/layout.h"
#include "model/bundle.h"
#include "tokenize/audio_tokenizer.h"
#include "tokenize/bpe.h"
#include "tokenize/image_tokenizer.h"

namespace mm::model {

namespace {

using ojson = nlohmann::ordered_json;
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The JSON file at `path`; mm::Error naming it when it is not JSON.
ojson read_json(const std::string& path) {
  try {
    return ojson::parse(slurp(path));
  } catch (const ojson::exception& e) {
    throw Error(path + ": not JSON: " + e.what());
  }
}

// The layout packed from the tokenizers, in the config's order; a modality whose file an
// earlier one already uses shares that one's range (code uses text's).
generate::Layout pack_layout(const ojson& tokenizers, const fs::path& config_dir) {
  std::vector<std::pair<std::string, uint32_t>> sizes;
  std::vector<std::pair<std::string, std::string>> shared;
  std::map<std::string, std::string> owner;  // file -> modality
  for (auto& [modality, entry] : tokenizers.items()) {
    if (!entry.is_object()) throw Error("tokenizers." + modality + " is not an object");
    std::string file = entry.value("file", "");
    if (!file.empty() && owner.count(file)) {
      shared.emplace_back(modality, owner[file]);
      continue;
    }
    uint64_t size = 0;
    if (entry.contains("vocab_size") && entry["vocab_size"].is_number_unsigned()) {
      size = entry["vocab_size"].get<uint64_t>();
    } else if (!file.empty() && entry.value("type", "") == "bpe") {
      size = tokenize::BpeTokenizer::load((config_dir / file).string()).vocab_size();
    } else if (!file.empty() && entry.value("type", "") == "vq") {
      size = tokenize::ImageTokenizer::load((config_dir / file).string()).vocab_size();
    } else if (!file.empty() && entry.value("type", "") == "audio-env") {
      size = tokenize::AudioTokenizer::load((config_dir / file).string()).vocab_size();
    } else {
      throw Error("tokenizers." + modality + ": give its \"vocab_size\" or a \"layout\" in the config");
    }
    if (size == 0 || size > UINT32_MAX) throw Error("tokenizers." + modality + ": bad vocabulary size");
    sizes.emplace_back(modality, uint32_t(size));
    if (!file.empty()) owner[file] = modality;
  }
  return generate::Layout::packed(sizes, shared);
}

// Counter-based draws would be as good; a seeded engine keeps init simple and stable.
struct Draw {
  std::mt19937_64 engine;
  std::normal_distribution<float> normal{0.0f, 1.0f};
  explicit Draw(uint64_t seed) : engine(seed) {}
  float operator()() { return normal(engine); }
};

// InitOptions::embed_codebook: the starting rows of the embedding for the codes of every VQ
// tokenizer, by id. Drawn from their own engine, so the other weights are the same as
// without it.
std::map<uint64_t, std::vector<float>> codebook_rows(const ojson& tokenizers, const fs::path& config_dir,
                                                     const generate::Layout& layout, uint64_t hidden, uint64_t seed) {
  std::map<uint64_t, std::vector<float>> rows;
  for (auto& [modality, entry] : tokenizers.items()) {
    if (!entry.is_object() || entry.value("type", "") != "vq" || !entry.contains("file") || !layout.has(modality)) continue;
    const generate::CodeRange& range = layout.range(modality);
    if (rows.count(range.offset)) continue;  // a modality sharing another's codes (video: image's)
    const tokenize::ImageTokenizer tokenizer =
        tokenize::ImageTokenizer::load((config_dir / entry["file"].get<std::string>()).string());
    const tokenize::Codebook& book = tokenizer.codebook();
    const int dims = book.dims, codes = std::min<int>(book.codes, int(range.size));
    // Luma (the first patch*patch dimensions) and chroma are each scaled to a total
    // variance of 1 over the codes: the colour weighs as much as the shading, though it
    // has half the dimensions.
    const int luma = book.patch * book.patch;
    std::vector<double> mean(dims, 0.0);
    for (int c = 0; c < codes; ++c)
      for (int d = 0; d < dims; ++d) mean[d] += book.centroid(0, c)[d] / codes;
    double variance[2] = {0.0, 0.0};
    for (int c = 0; c < codes; ++c)
      for (int d = 0; d < dims; ++d) variance[d >= luma] += std::pow(book.centroid(0, c)[d] - mean[d], 2) / codes;
    Draw draw(seed ^ 0x636f6465626f6f6bull ^ range.offset);  // "codebook"
    std::vector<float> projection(hidden * dims);
    for (float& p : projection) p = draw() / std::sqrt(2.0f);  // two unit-variance groups in
    for (int c = 0; c < codes; ++c) {
      std::vector<float> z(dims), row(hidden, 0.0f);
      for (int d = 0; d < dims; ++d)
        z[d] = float((book.centroid(0, c)[d] - mean[d]) / std::sqrt(std::max(variance[d >= luma], 1e-12)));
      for (uint64_t h = 0; h < hidden; ++h) {
        float acc = 0.0f;
        for (int d = 0; d < dims; ++d) acc += projection[h * dims + d] * z[d];
        row[h] = 0.02f * acc;  // the noise's scale: N(0, 0.02^2) per entry on average
      }
      rows[range.offset + c] = std::move(row);
    }
  }
  return rows;
}

std::string human_bytes(uint64_t n) {
  char s[32];
  if (n >= (1ull << 30))
    std::snprintf(s, sizeof s, "%.1f GiB", double(n) / double(1ull << 30));
  else if (n >= (1ull << 20))
    std::snprintf(s, sizeof s, "%.1f MiB", double(n) / double(1ull << 20));
  else
    std::snprintf(s, sizeof s, "%.1f KiB", double(n) / 1024.0);
  return s;
}

std::string human_count(uint64_t n) {
  char s[32];
  if (n >= 1000000000ull)
    std::snprintf(s, sizeof s, "%.2fB", double(n) / 1e9);
  else if (n >= 1000000ull)
    std::snprintf(s, sizeof s, "%.2fM", double(n) / 1e6);
  else
    std::snprintf(s, sizeof s, "%.1fK", double(n) / 1e3);
  return s;
}

}  // namespace

void init_bundle(const std::string& config_path, const std::string& dir, const InitOptions& options) {
  WeightType type = weight_type_from_name(options.dtype);
  if (options.shards == 0) throw UsageError("--shards must be at least 1");
  ojson config = read_json(config_path);
  if (!config.is_object() || !config.contains("backbone") || !config["backbone"].is_object())
    throw Error(config_path + ": no \"backbone\" object");
  fs::path config_dir = fs::path(config_path).parent_path();
  if (!options.tokenizers_from.empty()) {
    if (config.contains("tokenizers") || config.contains("layout"))
      throw UsageError(config_path + ": has its own \"tokenizers\" or \"layout\"; --tokenizers takes them from " +
                       options.tokenizers_from);
    const std::string from_path = (fs::path(options.tokenizers_from) / "config.json").string();
    const ojson from = read_json(from_path);
    if (!from.is_object() || !from.contains("tokenizers") || !from["tokenizers"].is_object() || from["tokenizers"].empty())
      throw Error(from_path + ": no tokenizers to take");
    config["tokenizers"] = from["tokenizers"];
    if (from.contains("layout")) config["layout"] = from["layout"];
    config_dir = options.tokenizers_from;
  }
  try {
    if (!config.contains("layout") && config.contains("tokenizers") && !config["tokenizers"].empty())
      config["layout"] = ojson::parse(pack_layout(config["tokenizers"], config_dir).to_json());
    if (config.contains("layout") && !config["backbone"].contains("vocab_size"))
      config["backbone"]["vocab_size"] = generate::Layout::from_json(config["layout"].dump()).vocab_size();
  } catch (const Error& e) {
    throw Error(config_path + ": " + e.what());
  }
  const bool sharded = options.shards > 1;
  config["weights"] = sharded ? "model.safetensors.index.json" : "model.safetensors";
  // Everything must parse as a bundle before anything is written.
  BundleConfig bundle = BundleConfig::parse(config.dump(), dir);
  if (!bundle.layout_json.empty()) {
    generate::Layout layout = generate::Layout::from_json(bundle.layout_json);
    if (layout.vocab_size() > bundle.backbone.vocab_size)
      throw Error(config_path + ": the layout needs " + std::to_string(layout.vocab_size()) +
                  " ids, the backbone's vocab_size is " + std::to_string(bundle.backbone.vocab_size));
  }

  fs::create_directories(dir);
  if (config.contains("tokenizers"))
    for (auto& [modality, entry] : config["tokenizers"].items()) {
      if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string()) continue;
      fs::path from = config_dir / entry["file"].get<std::string>(), to = fs::path(dir) / entry["file"].get<std::string>();
      std::error_code ec;
      if (fs::exists(from, ec) && !fs::equivalent(from, to, ec)) {
        fs::create_directories(to.parent_path());
        fs::copy_file(from, to, fs::copy_options::overwrite_existing);
      }
    }

  std::map<uint64_t, std::vector<float>> embedding_rows;
  if (options.embed_codebook) {
    if (bundle.layout_json.empty() || !config.contains("tokenizers"))
      throw UsageError("--embed-codebook needs the config's tokenizers and layout");
    embedding_rows = codebook_rows(config["tokenizers"], config_dir, generate::Layout::from_json(bundle.layout_json),
                                   bundle.backbone.hidden_size, options.seed);
    if (embedding_rows.empty()) throw UsageError("--embed-codebook: the config has no VQ tokenizer");
  }

  auto tensors = expected_tensors(bundle.backbone);
  Draw draw(options.seed);
  const size_t esize = weight_type_size(type);
  auto store = [type](uint8_t* out, uint64_t k, float v) {
    if (type == WeightType::F32) {
      std::memcpy(out + 4 * k, &v, 4);
    } else {
      uint16_t h = type == WeightType::F16 ? float_to_half(v) : float_to_bfloat16(v);
      out[2 * k] = uint8_t(h);
      out[2 * k + 1] = uint8_t(h >> 8);
    }
  };
  std::vector<std::vector<uint8_t>> data(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    uint64_t n = 1;
    for (uint64_t d : tensors[i].shape) n *= d;
    const std::string& name = tensors[i].name;
    bool is_norm = name.find("norm.weight") != std::string::npos, is_bias = name.find(".bias") != std::string::npos;
    data[i].resize(n * esize);
    uint8_t* out = data[i].data();
    // Grid places start at zero, drawing nothing: the rest is the noise of the same model without them.
    const bool is_grid_place = name.rfind("model.embed_grid_", 0) == 0;
    for (uint64_t k = 0; k < n; ++k)
      store(out, k, is_grid_place ? 0.0f : is_norm ? 1.0f + 0.1f * draw() : is_bias ? 0.1f * draw() : 0.02f * draw());
    if (name == "model.embed_tokens.weight")  // the noise is drawn all the same, so other tensors keep theirs
      for (const auto& [id, row] : embedding_rows)
        for (size_t h = 0; h < row.size(); ++h) store(out, id * row.size() + h, row[h]);
  }
  // Shards of about equal bytes, tensors kept in order.
  uint64_t total = 0;
  for (auto& d : data) total += d.size();
  std::vector<std::vector<size_t>> shard_members(options.shards);
  uint64_t acc = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    size_t s = std::min<size_t>(options.shards - 1, size_t(acc * options.shards / std::max<uint64_t>(total, 1)));
    shard_members[s].push_back(i);
    acc += data[i].size();
  }
  ojson weight_map = ojson::object();
  for (unsigned s = 0; s < options.shards; ++s) {
    char file[64];
    if (sharded)
      std::snprintf(file, sizeof file, "model-%05u-of-%05u.safetensors", s + 1, options.shards);
    else
      std::snprintf(file, sizeof file, "model.safetensors");
    std::vector<TensorToWrite> w;
    for (size_t i : shard_members[s]) {
      w.push_back({tensors[i].name, type, tensors[i].shape, data[i].data()});
      weight_map[tensors[i].name] = file;
    }
    // The checksum verify compares: XXH3-64 over the data section, as data_checksum() reads it.
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    for (size_t i : shard_members[s]) XXH3_64bits_update(state, data[i].data(), data[i].size());
    char sum[17];
    std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(state)));
    XXH3_freeState(state);
    write_safetensors((fs::path(dir) / file).string(), w, {{"format", "pt"}, {"mm.xxh3", sum}});
  }
  if (sharded) {
    ojson index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    std::ofstream out(fs::path(dir) / "model.safetensors.index.json");
    out << index.dump(2) << "\n";
    if (!out) throw Error(dir + "/model.safetensors.index.json: write failed");
  }
  std::ofstream out(fs::path(dir) / "config.json.tmp");
  out << config.dump(2) << "\n";
  out.close();
  if (!out) throw Error(dir + "/config.json: write failed");
  fs::rename(fs::path(dir) / "config.json.tmp", fs::path(dir) / "config.json");
}

std::string bundle_info(const std::string& dir, bool as_json) {
  BundleConfig b = BundleConfig::load(dir);
  const BackboneConfig& c = b.backbone;
  WeightSet weights(b);
  std::map<std::string, uint64_t> types;
  uint64_t bytes = 0;
  for (const auto& f : weights.files()) {
    bytes += f->mapping()->size();
    for (const auto& e : f->header().tensors) types[weight_type_name(e.type)] += e.element_count();
  }
  ojson tokenizers = ojson::parse(b.tokenizers_json);
  ojson layout = b.layout_json.empty() ? ojson() : ojson::parse(generate::Layout::from_json(b.layout_json).to_json());
  if (as_json) {
    ojson files = ojson::array();
    for (const auto& f : weights.files()) files.push_back(fs::path(f->path()).filename().string());
    ojson j = {{"bundle", dir},
               {"name", b.name},
               {"architecture", "llama"},
               {"backbone", ojson::parse(c.to_json())},
               {"head_dim", c.hidden_size / c.heads},
               {"parameters", c.parameter_count()},
               {"weights", {{"files", files}, {"bytes", bytes}, {"dtypes", types}}},
               {"layout", layout},
               {"tokenizers", tokenizers},
               {"generation", ojson::parse(b.generation_json)}};
    return j.dump() + "\n";
  }
  std::ostringstream s;
  s << "bundle: " << dir << (b.name.empty() ? "" : " (" + b.name + ")") << "\n";
  s << "architecture: llama, " << c.layers << " layers, hidden " << c.hidden_size << ", " << c.heads << " heads";
  if (c.kv_heads != c.heads) s << " (" << c.kv_heads << " key/value: grouped-query)";
  s << ", head " << c.hidden_size / c.heads << ", mlp " << c.intermediate_size << ", rope theta " << c.rope_theta
    << ", qk-norm " << c.qk_norm << ", " << (c.tie_embeddings ? "tied" : "untied") << " head, " << c.max_positions
    << " positions\n";
  s << "parameters: " << c.parameter_count() << " (" << human_count(c.parameter_count()) << ")\n";
  s << "weights: " << weights.files().size() << " file" << (weights.files().size() == 1 ? "" : "s") << ", "
    << human_bytes(bytes);
  for (const auto& [t, n] : types) s << ", " << t << " " << n;
  s << "\n";
  s << "vocabulary: " << c.vocab_size << " ids\n";
  if (!layout.is_null()) {
    s << "layout: " << layout["vocab_size"].get<uint64_t>() << " ids used; markers";
    uint32_t lo = UINT32_MAX, hi = 0;
    for (auto& [name, id] : layout["markers"].items()) {
      lo = std::min(lo, id.get<uint32_t>());
      hi = std::max(hi, id.get<uint32_t>());
    }
    s << " " << lo << ".." << hi;
    for (auto& [name, r] : layout["ranges"].items()) {
      if (r.is_string())
        s << "; " << name << " = " << r.get<std::string>();
      else
        s << "; " << name << " " << r["offset"].get<uint64_t>() << ".." << r["offset"].get<uint64_t>() + r["size"].get<uint64_t>() - 1;
    }
    s << "\n";
  } else {
    s << "layout: none\n";
  }
  s << "tokenizers:";
  if (tokenizers.empty()) s << " none";
  for (auto& [modality, t] : tokenizers.items())
    s << " " << modality << "=" << (t.is_object() ? t.value("type", "?") + ":" + t.value("file", "?") : "?");
  s << "\n";
  return s.str();
}

std::string verify_bundle(const std::string& dir, bool as_json) {
  BundleConfig b = BundleConfig::load(dir);
  WeightSet weights(b);
  weights.check(b.backbone);
  uint64_t checked = 0;
  for (const auto& f : weights.files()) {
    auto sum = f->header().metadata.find("mm.xxh3");
    if (sum != f->header().metadata.end()) {
      if (data_checksum(*f) != sum->second)
        throw Error(f->path() + ": the data does not match its checksum (damaged file)");
      ++checked;
    }
  }
  for (const auto& t : expected_tensors(b.backbone)) {
    WeightSet::Located l = weights.find(t.name);
    const uint8_t* p = l.file->bytes(*l.entry);
    uint64_t n = l.entry->element_count();
    for (uint64_t k = 0; k < n; ++k) {
      float v;
      if (l.entry->type == WeightType::F32) {
        std::memcpy(&v, p + 4 * k, 4);
      } else {
        uint16_t h = uint16_t(p[2 * k] | p[2 * k + 1] << 8);
        v = l.entry->type == WeightType::F16 ? half_to_float(h) : bfloat16_to_float(h);
      }
      if (!std::isfinite(v)) throw Error(t.name + ": element " + std::to_string(k) + " is not finite (" + std::to_string(v) + ")");
    }
  }
  if (!b.layout_json.empty()) {
    generate::Layout layout = generate::Layout::from_json(b.layout_json);
    if (layout.vocab_size() > b.backbone.vocab_size)
      throw Error(dir + ": the layout uses " + std::to_string(layout.vocab_size()) + " ids, the backbone has " +
                  std::to_string(b.backbone.vocab_size));
  }
  const auto tensors = expected_tensors(b.backbone).size();
  if (as_json)
    return ojson({{"bundle", dir},
                  {"valid", true},
                  {"tensors", tensors},
                  {"parameters", b.backbone.parameter_count()},
                  {"files", weights.files().size()},
                  {"checksummed", checked}})
               .dump() + "\n";
  return dir + ": ok: " + std::to_string(tensors) + " tensors, " + std::to_string(b.backbone.parameter_count()) +
         " parameters, " + std::to_string(weights.files().size()) + " file" + (weights.files().size() == 1 ? "" : "s") +
         (checked ? " (checksums match)" : "") + "\n";
}

}  // namespace mm::model
