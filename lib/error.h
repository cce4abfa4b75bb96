// The error types every layer of libmm throws; lib/cli turns them into exit codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mm {

// Something went wrong with the data or the system: exit status 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The command line asked for something impossible: exit status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// The reader of our output went away (EPIPE): stop quietly.
class BrokenPipe : public Error {
 public:
  BrokenPipe() : Error("broken pipe") {}
};

// A fault in a stream, at a byte offset from the start of the input.
class FormatError : public Error {
 public:
  FormatError(uint64_t offset, const std::string& what)
      : Error("at byte " + std::to_string(offset) + ": " + what), offset_(offset), reason_(what) {}
  uint64_t offset() const { return offset_; }
  const std::string& reason() const { return reason_; }

 private:
  uint64_t offset_;
  std::string reason_;
};

}  // namespace mm
