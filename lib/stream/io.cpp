#include "stream/io.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "error.h"

namespace mm::stream {

namespace {
constexpr size_t kSinkBuffer = 1 << 16;  // also the source's buffer
}

size_t FdSource::read(void* data, size_t size) {
  auto* out = static_cast<uint8_t*>(data);
  size_t buffered = std::min(size, buffer_.size() - position_);
  std::memcpy(out, buffer_.data() + position_, buffered);
  position_ += buffered;
  if (buffered == size) return size;
  if (size - buffered >= kSinkBuffer) return buffered + read_fd(out + buffered, size - buffered);
  buffer_.resize(kSinkBuffer);
  buffer_.resize(read_fd(buffer_.data(), buffer_.size()));
  position_ = std::min(size - buffered, buffer_.size());
  std::memcpy(out + buffered, buffer_.data(), position_);
  return buffered + position_;
}

size_t FdSource::read_fd(uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd_, out + done, size - done);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(name_ + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

FdSink::~FdSink() {
  // Best effort: an exception here would hide the original failure.
  try {
    flush();
  } catch (...) {
  }
}

void FdSink::drain(const void* data, size_t size) {
  auto* in = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, in, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw BrokenPipe();
      throw Error(name_ + ": " + std::strerror(errno));
    }
    in += n;
    size -= static_cast<size_t>(n);
  }
}

void FdSink::write(const void* data, size_t size) {
  if (buffer_.size() + size > kSinkBuffer) {
    flush();
    if (size >= kSinkBuffer) return drain(data, size);
  }
  auto* in = static_cast<const uint8_t*>(data);
  buffer_.insert(buffer_.end(), in, in + size);
}

void FdSink::flush() {
  if (buffer_.empty()) return;
  drain(buffer_.data(), buffer_.size());
  buffer_.clear();
}

size_t MemorySource::read(void* data, size_t size) {
  size_t n = std::min(size, size_ - position_);
  if (n) std::memcpy(data, data_ + position_, n);
  position_ += n;
  return n;
}

void MemorySink::write(const void* data, size_t size) {
  auto* in = static_cast<const uint8_t*>(data);
  bytes_.insert(bytes_.end(), in, in + size);
}

}  // namespace mm::stream
