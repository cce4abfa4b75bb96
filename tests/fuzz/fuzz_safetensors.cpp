// libFuzzer target for the safetensors header parser: any bytes, read as a whole weights
// file, end in an mm::Error or in entries that all lie inside the data, hold exactly the
// bytes their dtype and shape need, and do not overlap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mm::model;
  uint64_t offset = 0;
  try {
    SafetensorsHeader h = SafetensorsHeader::parse_file(data, size, offset);
    const uint64_t data_size = size - offset;
    uint64_t previous_end = 0;
    for (const auto& e : h.tensors) {
      if (e.end > data_size || e.begin > e.end || e.begin < previous_end) std::abort();
      if (e.end - e.begin != e.element_count() * weight_type_size(e.type)) std::abort();
      previous_end = e.end;
    }
  } catch (const mm::Error&) {
  }
  return 0;
}
