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
#include "model/bundle.h"
#include "model/bundle_tools.h"
#include "model/safetensors.h"

using namespace mm::model;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("mm-test-weights-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const mm::Error& e) {
    return e.what();
  }
  return "(no error)";
}

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
