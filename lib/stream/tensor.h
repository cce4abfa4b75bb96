// A named n-dimensional array carried in a stream: embeddings, model state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mm::stream {

enum class DType : uint8_t { F32 = 1, F16 = 2, BF16 = 3, F64 = 4, I8 = 5, U8 = 6, I16 = 7, I32 = 8, I64 = 9 };

struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> data;  // little-endian elements, row-major

  uint64_t element_count() const;
};

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
// Throws mm::Error for an unknown name.
DType dtype_from_name(const std::string& name);

// The record payload: u8 dtype, u8 rank, u16 name length, name, u64 dims, data.
std::vector<uint8_t> encode_tensor(const Tensor& tensor);
// Throws mm::Error naming what is inconsistent.
Tensor decode_tensor(const uint8_t* payload, size_t size);

}  // namespace mm::stream
