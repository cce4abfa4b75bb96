#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::model {

namespace {

// Hugging Face's own limit on the header; a longer one is hostile, not a model.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr size_t kMaxRank = 8;

const char* const kOtherTypes[] = {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F64", "F8_E4M3", "F8_E5M2"};

}  // namespace

const char* weight_type_name(WeightType type) {
  switch (type) {
    case WeightType::F32: return "F32";
    case WeightType::F16: return "F16";
    case WeightType::BF16: return "BF16";
  }
  return "?";
}

size_t weight_type_size(WeightType type) { return type == WeightType::F32 ? 4 : 2; }

WeightType weight_type_from_name(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  if (upper == "F32") return WeightType::F32;
  if (upper == "F16") return WeightType::F16;
  if (upper == "BF16") return WeightType::BF16;
  for (const char* other : kOtherTypes)
    if (upper == other) throw Error("dtype " + name + " is not supported for weights (only F32, F16, BF16)");
  throw Error("unknown dtype '" + name + "'");
}

uint64_t TensorEntry::element_count() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader SafetensorsHeader::parse(const char* text, size_t size, uint64_t data_size) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, text + size);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("safetensors header is not JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error("safetensors header is not a JSON object");
  SafetensorsHeader header;
  for (auto item = j.begin(); item != j.end(); ++item) {
    const std::string& name = item.key();  // not a structured binding: lambdas below capture it
    const nlohmann::json& value = item.value();
    if (name == "__metadata__") {
      if (!value.is_object()) throw Error("safetensors __metadata__ is not an object");
      for (auto& [key, v] : value.items()) {
        if (!v.is_string()) throw Error("safetensors __metadata__." + key + " is not a string");
        header.metadata[key] = v.get<std::string>();
      }
      continue;
    }
    auto fail = [&](const std::string& why) { return Error(name + ": " + why); };
    if (!value.is_object()) throw fail("entry is not an object");
    auto dtype = value.find("dtype");
    auto shape = value.find("shape");
    auto offsets = value.find("data_offsets");
    if (dtype == value.end() || !dtype->is_string()) throw fail("no dtype");
    if (shape == value.end() || !shape->is_array()) throw fail("no shape");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2) throw fail("no data_offsets [begin, end]");
    TensorEntry entry;
    entry.name = name;
    try {
      entry.type = weight_type_from_name(dtype->get<std::string>());
    } catch (const Error& e) {
      throw fail(e.what());
    }
    if (shape->size() > kMaxRank) throw fail("rank " + std::to_string(shape->size()) + " is beyond " + std::to_string(kMaxRank));
    // Checked against the data section before anything is sized from it.
    uint64_t elements = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) throw fail("shape holds something other than a non-negative integer");
      uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && elements > data_size / dim) throw fail("shape is larger than the file");
      elements *= dim;
      entry.shape.push_back(dim);
    }
    for (const auto& o : *offsets)
      if (!o.is_number_unsigned()) throw fail("data_offsets are not non-negative integers");
    entry.begin = (*offsets)[0].get<uint64_t>();
    entry.end = (*offsets)[1].get<uint64_t>();
    if (entry.begin > entry.end) throw fail("data_offsets end before they begin");
    if (entry.end > data_size)
      throw fail("data ends at byte " + std::to_string(entry.end) + " of a data section of " + std::to_string(data_size) +
                 " (file cut short?)");
    if (entry.end - entry.begin != elements * weight_type_size(entry.type))
      throw fail("holds " + std::to_string(entry.end - entry.begin) + " bytes, its shape and dtype need " +
                 std::to_string(elements * weight_type_size(entry.type)));
    header.tensors.push_back(std::move(entry));
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  for (size_t i = 1; i < header.tensors.size(); ++i)
    if (header.tensors[i].begin < header.tensors[i - 1].end)
      throw Error(header.tensors[i].name + ": data overlaps " + header.tensors[i - 1].name);
  return header;
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  size_ = uint64_t(st.st_size);
  if (size_ > 0) {
    // Private and writable: libtorch may treat the tensors as mutable; a write would copy
    // the page, never touch the file.
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      throw Error(path + ": cannot map: " + std::strerror(e));
    }
    data_ = static_cast<uint8_t*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
}

SafetensorsHeader SafetensorsHeader::parse_file(const uint8_t* p, uint64_t size, uint64_t& data_offset) {
  if (size < 8) throw Error("too short for a safetensors file (" + std::to_string(size) + " bytes)");
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | p[i];
  if (header_size > kMaxHeaderBytes) throw Error("safetensors header claims " + std::to_string(header_size) + " bytes");
  if (header_size > size - 8)
    throw Error("safetensors header claims " + std::to_string(header_size) + " bytes, the file has " +
                std::to_string(size - 8) + " after the length (file cut short?)");
  data_offset = 8 + header_size;
  return parse(reinterpret_cast<const char*>(p + 8), header_size, size - data_offset);
}

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(std::make_shared<MappedFile>(path)) {
  uint64_t offset = 0;
  try {
    header_ = SafetensorsHeader::parse_file(file_->data(), file_->size(), offset);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  data_ = file_->data() + offset;
  data_size_ = file_->size() - offset;
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

std::string SafetensorsFile::header_json() const {
  return std::string(reinterpret_cast<const char*>(file_->data() + 8), data_ - file_->data() - 8);
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (uint64_t d : t.shape) n *= d;
    uint64_t bytes = n * weight_type_size(t.type);
    header[t.name] = {{"dtype", weight_type_name(t.type)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(temp + ": cannot create");
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const auto& t : tensors) {
      uint64_t n = 1;
      for (uint64_t d : t.shape) n *= d;
      out.write(static_cast<const char*>(t.data), std::streamsize(n * weight_type_size(t.type)));
    }
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      throw Error(path + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) throw Error(path + ": " + ec.message());
}

uint16_t float_to_bfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);  // NaN stays NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

float bfloat16_to_float(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return uint16_t(sign | 0x7e00u);           // NaN
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);          // overflow and inf
  if (abs < 0x38800000u) {                                           // subnormal or zero
    if (abs < 0x33000000u) return uint16_t(sign);
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    int shift = 126 - int(abs >> 23);  // to the 10-bit subnormal mantissa (units of 2^-24)
    uint32_t half = mant >> shift;
    uint32_t rest = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15
  uint32_t half = r >> 13;
  uint32_t rest = r & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) ++half;
  return uint16_t(sign | half);
}

float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400u));
      bits = sign | uint32_t(127 - 15 - e) << 23 | (mant & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 112) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace mm::model
