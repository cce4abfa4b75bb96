// What every mm program shares: the common option table, --help and --version, the docs
// generated from the options, and the one exit path that turns errors into exit codes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace mm::cli {

// Exit statuses, the same for every program.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// The common options; each program picks the ones that mean something to it.
enum CommonOption : unsigned {
  kOutput = 1u << 0,
  kForce = 1u << 1,
  kQuiet = 1u << 2,
  kVerbose = 1u << 3,
  kJson = 1u << 4,
  kThreads = 1u << 5,
  kDevice = 1u << 6,
  kSeed = 1u << 7,
};

struct CommonOptions {
  std::string output = "-";
  bool force = false;
  bool quiet = false;
  int verbose = 0;
  bool json = false;
  int threads = 0;  // 0: all cores
  std::string device = "cpu";
  uint64_t seed = 0;
};

class Program {
 public:
  Program(std::string name, std::string summary, unsigned common_options);
  ~Program();

  // For the program's own options and positionals, added before run().
  CLI::App& app() { return *app_; }
  const CommonOptions& options() const { return options_; }
  const std::string& name() const { return name_; }

  // Parses argv and runs `body`, mapping every outcome to an exit status: usage errors 2
  // with a hint, failures 1 with one line "name: message", a closed pipe 1 and silent.
  int run(int argc, char** argv, const std::function<void()>& body);

  // The documentation formats generated from the option table (hidden --mm-generate=).
  std::string man_options() const;
  std::string completion(const std::string& shell) const;

 private:
  std::string name_;
  std::unique_ptr<CLI::App> app_;
  CommonOptions options_;
  std::string generate_;
};

// Prints "name: message" on stderr; for warnings that do not end the program.
void warn(const std::string& program, const std::string& message);

}  // namespace mm::cli
