// Where programs read and write: '-' or nothing is stdin/stdout; -o FILE is written to a
// temporary file beside it and renamed into place only when the program succeeds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stream/io.h"

namespace mm::cli {

class Input {
 public:
  // Throws mm::Error for a missing file or a directory, mm::UsageError when a binary
  // stream would be read from a terminal.
  explicit Input(const std::string& path, bool binary = true);
  ~Input();
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  stream::Source& source() { return *source_; }
  const std::string& name() const { return name_; }  // for messages: the path, or "stdin"
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool owned_ = false;
  std::string name_;
  std::unique_ptr<stream::FdSource> source_;
};

enum class Content { Binary, Text };

class Output {
 public:
  // Refuses (mm::UsageError) binary data to a terminal, and (mm::Error) an existing FILE,
  // unless `force`.
  Output(const std::string& path, Content content, bool force);
  ~Output();  // without commit(), removes the temporary file: nothing half-written is left
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  stream::Sink& sink() { return *sink_; }
  const std::string& name() const { return name_; }
  bool is_stdout() const { return path_.empty(); }
  // The file written until commit() (empty for stdout), for writers that open it by name
  // themselves, like FFmpeg's muxers; it is still renamed or removed as above.
  const std::string& temp_path() const { return temp_path_; }
  // Flushes and, for -o FILE, renames the temporary file over FILE.
  void commit();

 private:
  std::string path_;  // empty for stdout
  std::string temp_path_;
  std::string name_;
  bool force_;
  bool committed_ = false;
  bool direct_ = false;  // a device or FIFO, written in place
  int fd_ = -1;
  std::unique_ptr<stream::FdSink> sink_;
};

// The files a renderer writes over one stream: each committed when it is complete, or held
// and committed together at the end (one -o FILE for the whole stream, so that a stream that
// fails half-way leaves none of them).
class OutputFiles {
 public:
  void commit(Output& file);  // commits it now
  void hold(std::unique_ptr<Output> file) { held_.push_back(std::move(file)); }
  // Commits the held files; returns the names of every file committed, in order (not stdout).
  const std::vector<std::string>& commit_held();

 private:
  std::vector<std::unique_ptr<Output>> held_;
  std::vector<std::string> names_;
};

// True when `path` names stdin/stdout.
bool is_standard_stream(const std::string& path);

}  // namespace mm::cli
