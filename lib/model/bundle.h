// A model bundle on disk: config.json (the backbone's hyper-parameters, the vocabulary
// layout, the tokenizers, generation defaults, where the weights are) and the weights as
// safetensors, one file or sharded with an index as Hugging Face checkpoints are. All of
// this is torch-free: mm-bundle inspects and writes bundles without loading libtorch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/backbone.h"
#include "model/safetensors.h"

namespace mm::model {

struct BundleConfig {
  std::string dir;
  std::string name;
  BackboneConfig backbone;
  // The other sections, kept as JSON text for the layers that read them ("{}" when absent;
  // "" for a missing layout, which mm-bundle init then packs from the tokenizers).
  std::string layout_json, tokenizers_json = "{}", generation_json = "{}";
  std::string weights = "model.safetensors";  // a file, or an index "*.index.json"
  std::string config_text;                    // the file as read, for the bundle's identity

  static BundleConfig parse(const std::string& json, const std::string& dir = ".");  // throws mm::Error
  static BundleConfig load(const std::string& dir);                                   // dir/config.json
};

// The tensors a backbone of this config needs, with Hugging Face Llama names and shapes,
// in the order mm-bundle init writes them. See mm-bundle(5).
struct ExpectedTensor {
  std::string name;
  std::vector<uint64_t> shape;
};
std::vector<ExpectedTensor> expected_tensors(const BackboneConfig& config);
std::string shape_string(const std::vector<uint64_t>& shape);  // "[64, 32]"

// The bundle's weights, whichever files hold them.
class WeightSet {
 public:
  struct Located {
    const SafetensorsFile* file = nullptr;
    const TensorEntry* entry = nullptr;
  };
  explicit WeightSet(const BundleConfig& bundle);  // maps every file; throws mm::Error
  // Throws mm::Error naming the tensor when it is absent.
  Located find(const std::string& name) const;
  bool has(const std::string& name) const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  // Every tensor is present with the shape the config implies (and nothing is left over
  // that looks like a backbone tensor). Throws mm::Error naming the first fault.
  void check(const BackboneConfig& config) const;
  // A hash of config.json, every weights header and the first bytes of every tensor: names
  // the bundle in a state file.
  uint64_t identity() const { return identity_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Located> by_name_;
  uint64_t identity_ = 0;
};

// The checksum mm-bundle init stores in each file's metadata ("mm.xxh3" over the data
// section, hex) so that verify can tell a damaged file from a good one.
std::string data_checksum(const SafetensorsFile& file);

}  // namespace mm::model
