#include "cli/program.h"

#include <csignal>
#include <memory>
#include <string>
#include <cstdio>
#include <new>

#include <CLI/CLI.hpp>

#include "error.h"
#include "stream/format.h"
#include "version.h"

namespace mm::cli {

namespace {

struct CommonOptionSpec {
  CommonOption id;
  const char* names;
  const char* help;
};

// The one table: --help, the man pages' OPTIONS and the completions all come from it.
constexpr CommonOptionSpec kCommonOptions[] = {
    {kOutput, "-o,--output", "Write to FILE instead of stdout ('-'); the file appears only when the program succeeds"},
    {kForce, "-f,--force", "Overwrite an existing output file; allow binary output to a terminal"},
    {kQuiet, "-q,--quiet", "Print nothing but errors"},
    {kVerbose, "-v,--verbose", "Print more detail; repeat for more"},
    {kJson, "--json", "Print structured JSON instead of text"},
    {kThreads, "--threads", "Worker threads (0: one per core)"},
    {kDevice, "--device", "Compute device: cpu or cuda[:N]"},
    {kSeed, "--seed", "Random seed; the same input and seed give the same output"},
};

void add_common_option(CLI::App& app, const CommonOptionSpec& spec, CommonOptions& options) {
  switch (spec.id) {
    case kOutput: app.add_option(spec.names, options.output, spec.help)->type_name("FILE"); break;
    case kForce: app.add_flag(spec.names, options.force, spec.help); break;
    case kQuiet: app.add_flag(spec.names, options.quiet, spec.help); break;
    case kVerbose: app.add_flag(spec.names, options.verbose, spec.help); break;
    case kJson: app.add_flag(spec.names, options.json, spec.help); break;
    case kThreads:
      app.add_option(spec.names, options.threads, spec.help)->type_name("N")->check(CLI::Range(0, 4096));
      break;
    case kDevice: app.add_option(spec.names, options.device, spec.help)->type_name("DEVICE"); break;
    case kSeed: app.add_option(spec.names, options.seed, spec.help)->type_name("N"); break;
  }
}

// --help's option descriptions folded at word boundaries so that no line passes 100
// columns (CLI11 prints a description on one line however long); CLI11 indents what
// follows each newline to the description column. A word longer than the room stays whole.
class FoldingFormatter : public CLI::Formatter {
 public:
  static constexpr size_t kWidth = 100;
  std::string make_option_desc(const CLI::Option* option) const override {
    return fold(CLI::Formatter::make_option_desc(option), kWidth - get_column_width());
  }
  std::string make_description(const CLI::App* app) const override {
    return fold(CLI::Formatter::make_description(app), kWidth);
  }

 private:
  static std::string fold(const std::string& text, size_t room) {
    std::string folded, line, word;
    auto flush_word = [&] {
      if (word.empty()) return;
      if (!line.empty() && line.size() + 1 + word.size() > room) folded += line + "\n", line.clear();
      line += (line.empty() ? "" : " ") + word;
      word.clear();
    };
    for (char c : text) {
      if (c == ' ') {
        flush_word();
      } else if (c == '\n') {
        flush_word();
        folded += line + "\n";
        line.clear();
      } else {
        word += c;
      }
    }
    flush_word();
    return folded + line;
  }
};

}  // namespace

void warn(const std::string& program, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program.c_str(), message.c_str());
}

Program::Program(std::string name, std::string summary, unsigned common_options)
    : name_(std::move(name)), app_(std::make_unique<CLI::App>(summary, name_)) {
  app_->formatter(std::make_shared<FoldingFormatter>());
  app_->set_help_flag("-h,--help", "Print this help and exit");
  app_->set_version_flag("-V,--version",
                         name_ + " (mm) " + MM_VERSION + ", token stream format " +
                             std::to_string(stream::kVersionMajor) + "." + std::to_string(stream::kVersionMinor),
                         "Print the version and exit");
  for (const auto& spec : kCommonOptions)
    if (common_options & spec.id) add_common_option(*app_, spec, options_);
  app_->add_option("--mm-generate", generate_, "")->group("");  // hidden: man|bash|zsh|fish
  app_->footer("Exit status: 0 success, 1 failure, 2 usage error. See " + name_ + "(1).");
}

Program::~Program() = default;

int Program::run(int argc, char** argv, const std::function<void()>& body) {
  // A closed pipe is reported by write() as EPIPE, which ends the program quietly.
  std::signal(SIGPIPE, SIG_IGN);
  // Generating docs needs no other argument, even those the program requires.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--mm-generate=", 0) == 0) generate_ = arg.substr(14);
    else if (arg == "--mm-generate" && i + 1 < argc) generate_ = argv[i + 1];
  }
  try {
    if (generate_.empty()) app_->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app_->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app_->exit(e);
  } catch (const CLI::ParseError& e) {
    warn(name_, e.what());
    std::fprintf(stderr, "Try '%s --help' for more information.\n", name_.c_str());
    return kExitUsage;
  }
  try {
    if (!generate_.empty()) {
      std::string text = generate_ == "man" ? man_options() : completion(generate_);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
    }
    body();
    return kExitOk;
  } catch (const BrokenPipe&) {
    return kExitFailure;
  } catch (const UsageError& e) {
    warn(name_, e.what());
    std::fprintf(stderr, "Try '%s --help' for more information.\n", name_.c_str());
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    warn(name_, "out of memory");
  } catch (const std::exception& e) {
    warn(name_, e.what());
  }
  return kExitFailure;
}

}  // namespace mm::cli
