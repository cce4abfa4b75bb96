// Bundles without libtorch: safetensors reading and writing, config parsing, the tensor
// list a config implies, and the errors that name the tensor at fault.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "error.h"
#include "generate/layout.h"
#include "model/bundle.h"
#include "model/bundle_tools.h"
#include "model/safetensors.h"
#include "support.h"
#include "tokenize/vq_codebook.h"

using namespace mm::model;
namespace fs = std::filesystem;

using mm::test::error_of;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("mm-test-weights-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

const char* kTiny = R"({"name": "t", "backbone": {"vocab_size": 11, "hidden_size": 8, "num_hidden_layers": 2,
  "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 12, "max_position_embeddings": 16,
  "qk_norm": "layernorm"}})";

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("safetensors: written tensors read back in place, with metadata") {
  TempDir dir;
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  std::vector<uint16_t> b = {float_to_bfloat16(0.5f), float_to_bfloat16(-1.0f)};
  std::string path = (dir.path / "w.safetensors").string();
  write_safetensors(path, {{"a", WeightType::F32, {2, 3}, a.data()}, {"b", WeightType::BF16, {2}, b.data()}},
                    {{"format", "pt"}});
  SafetensorsFile f(path);
  REQUIRE(f.find("a"));
  CHECK(f.find("a")->shape == std::vector<uint64_t>{2, 3});
  CHECK(std::memcmp(f.bytes(*f.find("a")), a.data(), 24) == 0);
  CHECK(f.find("b")->type == WeightType::BF16);
  CHECK(f.header().metadata.at("format") == "pt");
  CHECK(f.find("c") == nullptr);
  // the header is padded so that the data (and every f32 tensor) stays aligned
  CHECK(reinterpret_cast<uintptr_t>(f.bytes(*f.find("a"))) % 8 == 0);
}

TEST_CASE("safetensors: f16 and bf16 conversions round to nearest even") {
  CHECK(half_to_float(float_to_half(1.0f)) == 1.0f);
  CHECK(half_to_float(float_to_half(-65504.0f)) == -65504.0f);
  CHECK(std::isinf(half_to_float(float_to_half(1e6f))));
  CHECK(half_to_float(float_to_half(5.9604645e-8f)) == 5.9604645e-8f);  // the smallest subnormal
  CHECK(half_to_float(float_to_half(1.0f + 1.0f / 2048)) == 1.0f);      // a tie goes to even
  CHECK(half_to_float(float_to_half(0.1f)) == doctest::Approx(0.1f).epsilon(1e-3));
  CHECK(bfloat16_to_float(float_to_bfloat16(3.0f)) == 3.0f);
  CHECK(bfloat16_to_float(float_to_bfloat16(1.0f + 1.0f / 256)) == 1.0f);
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(NAN))));
}

TEST_CASE("safetensors: hostile or damaged headers are refused with the reason") {
  auto parse = [](const std::string& header, uint64_t data) {
    return error_of([&] { SafetensorsHeader::parse(header.data(), header.size(), data); });
  };
  CHECK(parse("[1]", 0) == "safetensors header is not a JSON object");
  CHECK(parse(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8) ==
        "w: data ends at byte 16 of a data section of 8 (file cut short?)");
  CHECK(parse(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})", 16) ==
        "w: holds 16 bytes, its shape and dtype need 12");
  CHECK(parse(R"({"w": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 16]}})", 16) == "w: unknown dtype 'Q4'");
  CHECK(parse(R"({"w": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})", 16) ==
        "w: dtype I64 is not supported for weights (only F32, F16, BF16)");
  CHECK(parse(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}})", 16) ==
        "w: shape is larger than the file");
  CHECK(parse(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4) ==
        "w: shape holds something other than a non-negative integer");
  CHECK(parse(R"({"a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]},
                  "b": {"dtype": "F16", "shape": [2], "data_offsets": [4, 8]}})", 8) == "b: data overlaps a");
  uint8_t huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'};
  uint64_t offset = 0;
  CHECK(error_of([&] { SafetensorsHeader::parse_file(huge, sizeof huge, offset); }) ==
        "safetensors header claims 9223372036854775808 bytes");
}

TEST_CASE("bundle config: Hugging Face names and the short ones; bad values are named") {
  BackboneConfig c = BackboneConfig::from_json(
      R"({"vocab_size": 100, "hidden_size": 64, "layers": 2, "heads": 4, "kv_heads": 2, "intermediate_size": 96,
          "max_positions": 32, "tie_embeddings": true, "qk_norm": true})");
  CHECK(c.layers == 2);
  CHECK(c.kv_heads == 2);
  CHECK(c.qk_norm == "rmsnorm");
  CHECK(c.tie_embeddings);
  // embed 100*64; per layer: norms 2*64, q,o 2*64*64, k,v 2*32*64, q/k norm 2*16, mlp 3*96*64
  CHECK(c.parameter_count() == 100 * 64 + 2 * (2 * 64 + 2 * 64 * 64 + 2 * 32 * 64 + 2 * 16 + 3 * 96 * 64) + 64);
  CHECK(BackboneConfig::from_json(c.to_json()).parameter_count() == c.parameter_count());
  CHECK(error_of([] { BackboneConfig::from_json(R"({"vocab_size": 10})"); }) == "backbone: missing \"hidden_size\"");
  CHECK(error_of([] {
          BackboneConfig::from_json(R"({"vocab_size": 10, "hidden_size": 64, "layers": 1, "heads": 4, "kv_heads": 3,
                                        "intermediate_size": 8, "max_positions": 8})");
        }) == "backbone: num_attention_heads 4 is not a multiple of num_key_value_heads 3");
  CHECK(error_of([] {
          BackboneConfig::from_json(R"({"vocab_size": 10, "hidden_size": 64, "layers": 1, "heads": 4,
                                        "intermediate_size": 8, "max_positions": 8, "qk_norm": "l2"})");
        }) == "backbone: \"qk_norm\" must be \"none\", \"layernorm\" or \"rmsnorm\", not \"l2\"");
  CHECK(error_of([] { BundleConfig::parse(R"({"name": "x"})"); }) == "config.json: no \"backbone\" object");
  // output_ids: ascending ids below the vocabulary, kept through to_json
  const std::string head = R"({"vocab_size": 10, "hidden_size": 64, "layers": 1, "heads": 4, "intermediate_size": 8, "max_positions": 8, )";
  BackboneConfig some = BackboneConfig::from_json(head + R"("output_ids": [0, 3, 9]})");
  CHECK(some.output_ids == std::vector<uint32_t>{0, 3, 9});
  CHECK(BackboneConfig::from_json(some.to_json()).output_ids == some.output_ids);
  CHECK(BackboneConfig::from_json(head + R"("qk_norm": "none"})").output_ids.empty());
  CHECK(error_of([&] { BackboneConfig::from_json(head + R"("output_ids": [0, 10]})"); }) ==
        "backbone: \"output_ids\" holds 10, not an id below vocab_size 10");
  CHECK(error_of([&] { BackboneConfig::from_json(head + R"("output_ids": [3, 3]})"); }) ==
        "backbone: \"output_ids\" must ascend without repeats (3 after 3)");
  CHECK(error_of([&] { BackboneConfig::from_json(head + R"("output_ids": []})"); }) ==
        "backbone: \"output_ids\" must be a non-empty array of ids");
  CHECK(error_of([&] { BackboneConfig::from_json(head + R"("output_ids": ["1"]})"); }) ==
        "backbone: \"output_ids\" holds \"1\", not an id below vocab_size 10");
}

TEST_CASE("bundle: init writes a bundle that verifies; every mismatch names the tensor") {
  TempDir dir;
  write_text(dir.path / "c.json", kTiny);
  std::string b = (dir.path / "b").string();
  init_bundle((dir.path / "c.json").string(), b, {"f32", 1, 1});
  CHECK(verify_bundle(b, false) == b + ": ok: 29 tensors, " + std::to_string(BundleConfig::load(b).backbone.parameter_count()) +
                                       " parameters, 1 file (checksums match)\n");
  // Same seed, same weights; another seed, other weights.
  std::string again = (dir.path / "again").string(), other = (dir.path / "other").string();
  init_bundle((dir.path / "c.json").string(), again, {"f32", 1, 1});
  init_bundle((dir.path / "c.json").string(), other, {"f32", 2, 1});
  auto bytes = [](const std::string& d) {
    std::ifstream in(d + "/model.safetensors", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(bytes(b) == bytes(again));
  CHECK(bytes(b) != bytes(other));

  // The config says 3 layers, the weights hold 2.
  std::string three = kTiny;
  three.replace(three.find("\"num_hidden_layers\": 2"), 22, "\"num_hidden_layers\": 3");
  write_text(fs::path(b) / "config.json", three);
  CHECK(error_of([&] { verify_bundle(b, false); }) == "model.layers.2.input_layernorm.weight: missing from the weights");
  // A wider MLP than the weights have.
  std::string wide = kTiny;
  wide.replace(wide.find("\"intermediate_size\": 12"), 23, "\"intermediate_size\": 16");
  write_text(fs::path(b) / "config.json", wide);
  CHECK(error_of([&] { verify_bundle(b, false); }).find("model.layers.0.mlp.gate_proj.weight: shape [12, 8] in ") == 0);
  // Tied now, but the file has a head.
  std::string tied = kTiny;
  tied.replace(tied.find("\"qk_norm\""), 9, "\"tie_word_embeddings\": true, \"qk_norm\"");
  write_text(fs::path(b) / "config.json", tied);
  CHECK(error_of([&] { verify_bundle(b, false); }).find("lm_head.weight: in ") == 0);
  write_text(fs::path(b) / "config.json", kTiny);

  // A flipped byte in the data: the checksum catches it.
  {
    std::fstream f(b + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  CHECK(error_of([&] { verify_bundle(b, false); }) == b + "/model.safetensors: the data does not match its checksum (damaged file)");
  // Cut short.
  fs::resize_file(b + "/model.safetensors", fs::file_size(b + "/model.safetensors") - 10);
  CHECK(error_of([&] { verify_bundle(b, false); }).find("lm_head.weight: data ends at byte") != std::string::npos);
}

TEST_CASE("bundle: init --embed-codebook starts image codes that look alike near each other, the rest as before") {
  TempDir dir;
  // Four codes: two reds a shade apart, a blue, a green with a white corner.
  mm::tokenize::Codebook book;
  book.patch = 8;
  book.chroma_block = 2;
  book.levels = 1;
  book.codes = 4;
  book.dims = mm::tokenize::Codebook::dims_for(8, 2);
  auto add = [&](uint8_t r, uint8_t g, uint8_t b, bool corner) {
    std::vector<uint8_t> rgb(8 * 8 * 3);
    for (int p = 0; p < 64; ++p) {
      bool white = corner && p % 8 < 3 && p / 8 < 3;
      rgb[3 * p] = white ? 255 : r, rgb[3 * p + 1] = white ? 255 : g, rgb[3 * p + 2] = white ? 255 : b;
    }
    std::vector<float> v(book.dims);
    mm::tokenize::patch_to_vector(rgb.data(), 8, 0, 0, 8, 2, v.data());
    for (float x : v) book.centroids.push_back(std::round(x * 16) / 16);  // the file's 1/16 units
  };
  add(220, 30, 30, false);
  add(205, 40, 35, false);
  add(30, 40, 220, false);
  add(30, 200, 40, true);
  auto bytes = mm::tokenize::serialize_codebook(book);
  std::ofstream(dir.path / "vq.bin", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  write_text(dir.path / "c.json", R"({"name": "t", "backbone": {"hidden_size": 32, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16, "max_position_embeddings": 16,
    "tie_word_embeddings": true}, "tokenizers": {"image": {"type": "vq", "file": "vq.bin"}}})");
  std::string plain = (dir.path / "plain").string(), embedded = (dir.path / "embedded").string();
  init_bundle((dir.path / "c.json").string(), plain, {"f32", 3, 1});
  init_bundle((dir.path / "c.json").string(), embedded, {"f32", 3, 1, true});
  CHECK(verify_bundle(embedded, false).find(": ok: ") != std::string::npos);

  const uint32_t offset = mm::generate::Layout::from_json(BundleConfig::load(embedded).layout_json).range("image").offset;
  SafetensorsFile a(plain + "/model.safetensors"), b(embedded + "/model.safetensors");
  auto row = [](const SafetensorsFile& f, uint32_t id) {
    const TensorEntry* e = f.find("model.embed_tokens.weight");
    REQUIRE(e != nullptr);
    std::vector<float> r(32);
    std::memcpy(r.data(), f.bytes(*e) + size_t(id) * 32 * 4, 32 * 4);
    return r;
  };
  auto cosine = [](const std::vector<float>& x, const std::vector<float>& y) {
    double xy = 0, xx = 0, yy = 0;
    for (size_t i = 0; i < x.size(); ++i) xy += x[i] * y[i], xx += x[i] * x[i], yy += y[i] * y[i];
    return xy / std::sqrt(xx * yy);
  };
  const auto red = row(b, offset), red2 = row(b, offset + 1), blue = row(b, offset + 2), green = row(b, offset + 3);
  CHECK(cosine(red, red2) > 0.95);
  CHECK(cosine(red, blue) < 0.5);
  CHECK(cosine(red, green) < 0.5);
  CHECK(cosine(row(a, offset), row(a, offset + 1)) < 0.8);  // noise: no such likeness
  double square = 0;
  for (float x : red) square += x * x;
  CHECK(std::sqrt(square / 32) < 0.1);  // the noise's scale, not the patch's pixels
  // The markers' rows and every other tensor are the plain init's.
  for (uint32_t id = 0; id < offset; ++id) CHECK(row(a, id) == row(b, id));
  for (const auto& e : a.header().tensors) {
    if (e.name == "model.embed_tokens.weight") continue;
    const TensorEntry* other = b.find(e.name);
    REQUIRE(other != nullptr);
    CHECK(std::memcmp(a.bytes(e), b.bytes(*other), e.end - e.begin) == 0);
  }

  write_text(dir.path / "novq.json", kTiny);
  CHECK(error_of([&] { init_bundle((dir.path / "novq.json").string(), (dir.path / "x").string(), {"f32", 3, 1, true}); }) ==
        "--embed-codebook needs the config's tokenizers and layout");
}

TEST_CASE("bundle: init --tokenizers takes another bundle's tokenizers, files and layout") {
  TempDir dir;
  const std::string backbone = R"("backbone": {"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
    "num_key_value_heads": 1, "intermediate_size": 12, "max_position_embeddings": 16})";
  write_text(dir.path / "vq.bin", "codebook bytes");  // copied, not read: the vocab_size is given
  write_text(dir.path / "with.json", R"({"name": "src", )" + backbone +
                                         R"(, "tokenizers": {"image": {"type": "vq", "file": "vq.bin", "vocab_size": 16}}})");
  write_text(dir.path / "without.json", R"({"name": "taken", )" + backbone + "}");
  const std::string src = (dir.path / "src").string(), taken = (dir.path / "taken").string();
  init_bundle((dir.path / "with.json").string(), src, {"f32", 5, 1});
  init_bundle((dir.path / "without.json").string(), taken, {"f32", 5, 1, false, src});
  const BundleConfig a = BundleConfig::load(src), b = BundleConfig::load(taken);
  CHECK(b.name == "taken");
  CHECK(b.layout_json == a.layout_json);
  CHECK(b.tokenizers_json == a.tokenizers_json);
  CHECK(b.backbone.vocab_size == a.backbone.vocab_size);
  CHECK(fs::exists(fs::path(taken) / "vq.bin"));
  auto bytes = [](const std::string& d) {
    std::ifstream in(d + "/model.safetensors", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(bytes(taken) == bytes(src));  // the same model, the same seed

  const std::string with = (dir.path / "with.json").string();
  CHECK(error_of([&] { init_bundle(with, (dir.path / "x").string(), {"f32", 5, 1, false, src}); }) ==
        with + ": has its own \"tokenizers\" or \"layout\"; --tokenizers takes them from " + src);
  const std::string none = (dir.path / "none").string();
  CHECK(error_of([&] {
          init_bundle((dir.path / "without.json").string(), (dir.path / "x").string(), {"f32", 5, 1, false, none});
        }) == none + "/config.json: cannot open");
  write_text(dir.path / "c.json", kTiny);
  const std::string bare = (dir.path / "bare").string();
  init_bundle((dir.path / "c.json").string(), bare, {"f32", 1, 1});
  CHECK(error_of([&] {
          init_bundle((dir.path / "without.json").string(), (dir.path / "x").string(), {"f32", 5, 1, false, bare});
        }) == bare + "/config.json: no tokenizers to take");
  CHECK_FALSE(fs::exists(dir.path / "x"));  // nothing written for a config that fails
}

TEST_CASE("bundle: sharded weights load through the index; a wrong index is named") {
  TempDir dir;
  write_text(dir.path / "c.json", kTiny);
  std::string b = (dir.path / "b").string();
  init_bundle((dir.path / "c.json").string(), b, {"bf16", 1, 3});
  CHECK(fs::exists(b + "/model-00003-of-00003.safetensors"));
  WeightSet w(BundleConfig::load(b));
  CHECK(w.files().size() == 3);
  CHECK_NOTHROW(w.check(BundleConfig::load(b).backbone));
  CHECK(w.find("model.norm.weight").entry->type == WeightType::BF16);
  // An index that points a tensor at a shard that does not hold it.
  std::ifstream in(b + "/model.safetensors.index.json");
  std::string index((std::istreambuf_iterator<char>(in)), {});
  const std::string entry = "\"model.norm.weight\": \"model-0000";
  auto at = index.find(entry);
  REQUIRE(at != std::string::npos);
  at += entry.size();  // the shard's digit
  index.replace(at, 1, index[at] == '1' ? "2" : "1");
  write_text(b + "/model.safetensors.index.json", index);
  CHECK(error_of([&] { WeightSet bad(BundleConfig::load(b)); }).find("model.norm.weight: the index puts it in") == 0);
}

TEST_CASE("bundle: the identity tells apart checkpoints of one shape, and only those") {
  TempDir dir;
  auto make = [&](const std::string& name, float value) {
    fs::create_directories(dir.path / name);
    write_text(dir.path / name / "config.json", kTiny);
    std::vector<float> data(1 << 16, value);
    std::vector<TensorToWrite> tensors;
    for (const auto& t : expected_tensors(BundleConfig::parse(kTiny).backbone)) tensors.push_back({t.name, WeightType::F32, t.shape, data.data()});
    write_safetensors((dir.path / name / "model.safetensors").string(), tensors);  // equal headers, no checksum
    return WeightSet(BundleConfig::load((dir.path / name).string())).identity();
  };
  const uint64_t a = make("a", 0.5f), same = make("same", 0.5f), tuned = make("tuned", 0.25f);
  CHECK(a == same);
  CHECK(a != tuned);
}
