// What several unit tests share: the message an mm::Error carries, and a scratch directory
// for fixtures made by the tools Debian ships (FFmpeg, espeak-ng, sox).
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>

#include "error.h"

namespace mm::test {

// The message of the mm::Error that `f` throws; "(no error)" when it throws none, so a
// failed CHECK shows what came instead.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A new directory /tmp/mm-NAME-XXXXXX, removed with all it holds when this goes, also when
// a check fails.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    std::string pattern = "/tmp/mm-" + name + "-XXXXXX";
    const char* made = ::mkdtemp(pattern.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs a shell command with its output silenced; the test stops if it fails.
inline void run_quietly(const std::string& command) {
  REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

// FFmpeg with `args`, overwriting its output: how the media tests make their fixtures.
inline void ffmpeg(const std::string& args) { run_quietly("ffmpeg -nostdin -loglevel error -y " + args); }

}  // namespace mm::test
