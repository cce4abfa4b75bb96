// Byte sources and sinks the stream format reads from and writes to.
// Kept minimal so that files, pipes and memory buffers (tests, fuzzing) look the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mm::stream {

class Source {
 public:
  virtual ~Source() = default;
  // Reads up to `size` bytes; returns fewer only at end of input.
  virtual size_t read(void* data, size_t size) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const void* data, size_t size) = 0;
  // Hands everything written so far to the next stage (a pipe reader waits on it).
  virtual void flush() {}
};

// A file descriptor; does not own it. Reads and writes retry on EINTR and short counts.
// Small reads (record headers) are served from a buffer: one system call per 64 KiB.
class FdSource : public Source {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  size_t read(void* data, size_t size) override;

 private:
  size_t read_fd(uint8_t* data, size_t size);
  int fd_;
  std::string name_;
  std::vector<uint8_t> buffer_;
  size_t position_ = 0;
};

class FdSink : public Sink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdSink() override;
  void write(const void* data, size_t size) override;
  void flush() override;

 private:
  void drain(const void* data, size_t size);
  int fd_;
  std::string name_;
  std::vector<unsigned char> buffer_;
};

class MemorySource : public Source {
 public:
  MemorySource(const void* data, size_t size) : data_(static_cast<const uint8_t*>(data)), size_(size) {}
  size_t read(void* data, size_t size) override;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

class MemorySink : public Sink {
 public:
  void write(const void* data, size_t size) override;
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace mm::stream
