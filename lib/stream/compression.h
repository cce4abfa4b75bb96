// zstd for record payloads, with contexts reused across records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mm::stream {

class Compressor {
 public:
  explicit Compressor(int level);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  // Compresses into `out` and returns true, or returns false when storing raw is no larger.
  bool compress(const uint8_t* data, size_t size, std::vector<uint8_t>& out);
  int level() const { return level_; }

 private:
  int level_;
  void* context_;
};

class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  // Decompresses exactly one frame that must yield exactly `expected` bytes. The output grows
  // with what the frame really produces, so a lying size costs no memory. Throws mm::Error.
  void decompress(const uint8_t* data, size_t size, size_t expected, std::vector<uint8_t>& out);

 private:
  void* context_;
};

}  // namespace mm::stream
