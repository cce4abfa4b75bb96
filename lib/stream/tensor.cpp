#include "stream/tensor.h"

#include "error.h"
#include "stream/format.h"
#include "stream/little_endian.h"

namespace mm::stream {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "f32", 4}, {DType::F16, "f16", 2}, {DType::BF16, "bf16", 2},
    {DType::F64, "f64", 8}, {DType::I8, "i8", 1},   {DType::U8, "u8", 1},
    {DType::I16, "i16", 2}, {DType::I32, "i32", 4}, {DType::I64, "i64", 8},
};

const DTypeInfo* find(DType dtype) {
  for (const auto& info : kDTypes)
    if (info.dtype == dtype) return &info;
  return nullptr;
}

// Element count with overflow detection; false when it does not fit in 64 bits.
bool checked_elements(const std::vector<uint64_t>& shape, uint64_t& count) {
  count = 1;
  for (uint64_t d : shape) {
    if (d != 0 && count > UINT64_MAX / d) return false;
    count *= d;
  }
  return true;
}

// Names are single words so that the text dump can carry them unquoted.
void check_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTensorNameBytes)
    throw Error("tensor name must be 1 to " + std::to_string(kMaxTensorNameBytes) + " bytes");
  for (char c : name)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      throw Error("tensor name \"" + name + "\" has a space or control character");
}

}  // namespace

uint64_t Tensor::element_count() const {
  uint64_t count = 0;
  if (!checked_elements(shape, count)) throw Error("tensor " + name + ": shape overflows");
  return count;
}

size_t dtype_size(DType dtype) {
  const auto* info = find(dtype);
  if (!info) throw Error("unknown tensor dtype " + std::to_string(int(dtype)));
  return info->size;
}

const char* dtype_name(DType dtype) {
  const auto* info = find(dtype);
  return info ? info->name : "unknown";
}

DType dtype_from_name(const std::string& name) {
  for (const auto& info : kDTypes)
    if (name == info.name) return info.dtype;
  throw Error("unknown tensor dtype \"" + name + "\"");
}

std::vector<uint8_t> encode_tensor(const Tensor& tensor) {
  check_name(tensor.name);
  if (tensor.shape.size() > kMaxTensorDims)
    throw Error("tensor " + tensor.name + ": more than " + std::to_string(kMaxTensorDims) + " dimensions");
  uint64_t count = tensor.element_count();
  size_t element = dtype_size(tensor.dtype);
  if (count > tensor.data.size() / element || count * element != tensor.data.size())
    throw Error("tensor " + tensor.name + ": data size does not match shape and dtype");
  std::vector<uint8_t> out(4 + tensor.name.size() + 8 * tensor.shape.size());
  out[0] = uint8_t(tensor.dtype);
  out[1] = uint8_t(tensor.shape.size());
  store_le16(out.data() + 2, uint16_t(tensor.name.size()));
  std::copy(tensor.name.begin(), tensor.name.end(), out.begin() + 4);
  uint8_t* dims = out.data() + 4 + tensor.name.size();
  for (size_t i = 0; i < tensor.shape.size(); ++i) store_le64(dims + 8 * i, tensor.shape[i]);
  out.insert(out.end(), tensor.data.begin(), tensor.data.end());
  return out;
}

Tensor decode_tensor(const uint8_t* p, size_t size) {
  if (size < 4) throw Error("tensor record shorter than its header");
  Tensor tensor;
  tensor.dtype = DType(p[0]);
  if (!find(tensor.dtype)) throw Error("tensor record with unknown dtype " + std::to_string(p[0]));
  size_t rank = p[1];
  size_t name_size = load_le16(p + 2);
  if (rank > kMaxTensorDims) throw Error("tensor record with " + std::to_string(rank) + " dimensions");
  size_t header = 4 + name_size + 8 * rank;
  if (size < header) throw Error("tensor record shorter than its header");
  tensor.name.assign(reinterpret_cast<const char*>(p + 4), name_size);
  check_name(tensor.name);
  for (size_t i = 0; i < rank; ++i) tensor.shape.push_back(load_le64(p + 4 + name_size + 8 * i));
  uint64_t count = 0;
  size_t element = dtype_size(tensor.dtype);
  if (!checked_elements(tensor.shape, count) || count > (size - header) / element ||
      count * element != size - header)
    throw Error("tensor " + tensor.name + ": data size does not match its shape");
  tensor.data.assign(p + header, p + size);
  return tensor;
}

}  // namespace mm::stream
