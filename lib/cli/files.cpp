#include "cli/files.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

namespace mm::cli {

namespace {

// Temporary outputs still open, so that a signal can remove them. Fixed slots keep the
// handler async-signal-safe.
constexpr int kMaxTemporaries = 8;
char* volatile g_temporaries[kMaxTemporaries];

void remove_temporaries_and_die(int signal_number) {
  for (auto& slot : g_temporaries)
    if (char* path = slot) ::unlink(path);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void register_temporary(const std::string& path) {
  static bool handlers_installed = false;
  if (!handlers_installed) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, remove_temporaries_and_die);
    handlers_installed = true;
  }
  for (auto& slot : g_temporaries)
    if (!slot) {
      slot = ::strdup(path.c_str());
      return;
    }
}

void unregister_temporary(const std::string& path) {
  for (auto& slot : g_temporaries)
    if (slot && path == slot) {
      char* owned = slot;
      slot = nullptr;
      std::free(owned);
    }
}

std::string system_error(const std::string& name) { return name + ": " + std::strerror(errno); }

}  // namespace

bool is_standard_stream(const std::string& path) { return path.empty() || path == "-"; }

Input::Input(const std::string& path, bool binary) {
  if (is_standard_stream(path)) {
    fd_ = STDIN_FILENO;
    name_ = "stdin";
    if (binary && ::isatty(fd_))
      throw UsageError("refusing to read a token stream from a terminal (give a FILE or pipe one in)");
  } else {
    name_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error(system_error(path));
    owned_ = true;
    struct stat st;
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd_);
      owned_ = false;
      throw Error(path + ": is a directory");
    }
  }
  source_ = std::make_unique<stream::FdSource>(fd_, name_);
}

Input::~Input() {
  if (owned_) ::close(fd_);
}

Output::Output(const std::string& path, Content content, bool force) : force_(force) {
  if (is_standard_stream(path)) {
    name_ = "stdout";
    if (content == Content::Binary && !force && ::isatty(STDOUT_FILENO))
      throw UsageError("refusing to write binary data to a terminal (use -o FILE, a pipe, or -f)");
    sink_ = std::make_unique<stream::FdSink>(STDOUT_FILENO, name_);
    return;
  }
  path_ = name_ = path;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory");
    // A device, FIFO or socket (/dev/null, a named pipe) is written in place: renaming a
    // temporary file over it would replace the device itself, and there is nothing to
    // make atomic.
    if (!S_ISREG(st.st_mode)) {
      fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) throw Error(system_error(path));
      if (content == Content::Binary && !force && ::isatty(fd_)) {
        ::close(fd_);
        fd_ = -1;
        throw UsageError("refusing to write binary data to a terminal (use -o FILE, a pipe, or -f)");
      }
      direct_ = true;
      sink_ = std::make_unique<stream::FdSink>(fd_, name_);
      return;
    }
    if (!force) throw Error(path + ": already exists (use -f to overwrite)");
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string pattern = dir + "." + base + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  fd_ = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd_ < 0) throw Error(system_error(path));
  temp_path_ = buffer.data();
  register_temporary(temp_path_);
  // mkstemp makes 0600; a finished file gets the permissions any new file would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  sink_ = std::make_unique<stream::FdSink>(fd_, name_);
}

Output::~Output() {
  if (path_.empty()) return;
  if (fd_ >= 0) {
    sink_.reset();
    ::close(fd_);
  }
  if (direct_) return;
  if (!committed_) ::unlink(temp_path_.c_str());
  unregister_temporary(temp_path_);
}

void Output::commit() {
  sink_->flush();
  if (path_.empty()) return;
  sink_.reset();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(system_error(path_));
  if (direct_) {
    committed_ = true;
    return;
  }
  if (force_) {
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) throw Error(system_error(path_));
  } else if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) throw Error(path_ + ": already exists (use -f to overwrite)");
    // Filesystems without RENAME_NOREPLACE: link() also refuses to replace.
    if (errno != EINVAL && errno != ENOSYS) throw Error(system_error(path_));
    if (::link(temp_path_.c_str(), path_.c_str()) != 0) throw Error(system_error(path_));
    ::unlink(temp_path_.c_str());
  }
  committed_ = true;
}

void OutputFiles::commit(Output& file) {
  file.commit();
  if (!file.is_stdout()) names_.push_back(file.name());
}

const std::vector<std::string>& OutputFiles::commit_held() {
  for (auto& file : held_) commit(*file);
  held_.clear();
  return names_;
}

}  // namespace mm::cli
