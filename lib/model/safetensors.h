// safetensors (Hugging Face's weight format): an 8-byte little-endian header length, a JSON
// header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the tensors' bytes. The reader maps the file and hands out pointers into the mapping,
// so a tensor reaches libtorch without a copy; nothing is allocated from a size the header
// claims before that size is checked against the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mm::model {

// The element types a bundle's weights may use. Others that safetensors knows (I64, F64,
// ...) are recognised in order to name them in an error, never loaded.
enum class WeightType : uint8_t { F32, F16, BF16 };

const char* weight_type_name(WeightType type);  // "F32", as safetensors spells it
size_t weight_type_size(WeightType type);
// Accepts "F32" and "f32" alike. Throws mm::Error for anything else.
WeightType weight_type_from_name(const std::string& name);

struct TensorEntry {
  std::string name;
  WeightType type = WeightType::F32;
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
  uint64_t element_count() const;
};

// The parsed, verified header: every entry fits the data section, sizes agree with dtype
// and shape, no two entries overlap. `data_size` is the bytes after the header. Throws
// mm::Error naming the entry at fault ("model.norm.weight: ...").
struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;            // in data order
  std::map<std::string, std::string> metadata;  // "__metadata__", string values only
  static SafetensorsHeader parse(const char* json, size_t size, uint64_t data_size);
  // A whole file's bytes: the length, the header, the data. Sets `data_offset` to where the
  // data section begins. Throws mm::Error (without a path).
  static SafetensorsHeader parse_file(const uint8_t* bytes, uint64_t size, uint64_t& data_offset);
};

// A read-only mapping of a whole file, shared by every tensor handed out from it.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws mm::Error
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // maps and verifies; throws mm::Error
  const SafetensorsHeader& header() const { return header_; }
  const TensorEntry* find(const std::string& name) const;  // null when absent
  const uint8_t* bytes(const TensorEntry& entry) const { return data_ + entry.begin; }
  // The raw JSON header, for a bundle's identity.
  std::string header_json() const;
  const std::shared_ptr<MappedFile>& mapping() const { return file_; }
  const std::string& path() const { return file_->path(); }
  uint64_t data_size() const { return data_size_; }

 private:
  std::shared_ptr<MappedFile> file_;
  SafetensorsHeader header_;
  const uint8_t* data_ = nullptr;
  uint64_t data_size_ = 0;
  std::map<std::string, size_t> index_;
};

// One tensor to write: its bytes must be element_count * size of type, little-endian.
struct TensorToWrite {
  std::string name;
  WeightType type = WeightType::F32;
  std::vector<uint64_t> shape;
  const void* data = nullptr;
};

// Writes a safetensors file (header padded to 8 bytes so that every tensor stays aligned).
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Conversions for f16 and bf16 (round to nearest even), used to write and to check weights.
uint16_t float_to_half(float value);
float half_to_float(uint16_t bits);
uint16_t float_to_bfloat16(float value);
float bfloat16_to_float(uint16_t bits);

}  // namespace mm::model
