// libFuzzer target for bundle config parsing (config.json and its "backbone" object): any
// bytes end in an mm::Error or in a config whose tensor list is bounded and whose
// backbone survives a round trip through to_json().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "model/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mm::model;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    BundleConfig b = BundleConfig::parse(text);
    const BackboneConfig& c = b.backbone;
    auto tensors = expected_tensors(c);
    if (tensors.size() > 16 * size_t(c.layers) + 4) std::abort();
    BackboneConfig again = BackboneConfig::from_json(c.to_json());
    if (again.parameter_count() != c.parameter_count() || again.qk_norm != c.qk_norm || again.kv_heads != c.kv_heads)
      std::abort();
  } catch (const mm::Error&) {
  }
  return 0;
}
