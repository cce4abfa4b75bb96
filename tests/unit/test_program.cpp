#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/program.h"
#include "error.h"

using namespace mm;

namespace {

int run(cli::Program& program, std::vector<const char*> args, const std::function<void()>& body = [] {}) {
  args.insert(args.begin(), "mm-test");
  return program.run(int(args.size()), const_cast<char**>(args.data()), body);
}

constexpr unsigned kAll = cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kJson | cli::kThreads |
                          cli::kDevice | cli::kSeed;

}  // namespace

TEST_CASE("the common options parse into CommonOptions") {
  cli::Program program("mm-test", "a test", kAll);
  CHECK(run(program, {"-o", "x.mmt", "-f", "-q", "-vv", "--json", "--threads", "3", "--device", "cuda:1", "--seed",
                      "42"}) == cli::kExitOk);
  const auto& o = program.options();
  CHECK(o.output == "x.mmt");
  CHECK(o.force);
  CHECK(o.quiet);
  CHECK(o.verbose == 2);
  CHECK(o.json);
  CHECK(o.threads == 3);
  CHECK(o.device == "cuda:1");
  CHECK(o.seed == 42);
}

TEST_CASE("a program takes only the common options it asked for") {
  cli::Program program("mm-test", "a test", cli::kOutput);
  CHECK(run(program, {"--seed", "1"}) == cli::kExitUsage);
  CHECK(run(program, {"-o", "-"}) == cli::kExitOk);
}

TEST_CASE("outcomes map to exit statuses") {
  cli::Program program("mm-test", "a test", kAll);
  CHECK(run(program, {"--threads", "-1"}) == cli::kExitUsage);
  CHECK(run(program, {"--seed", "many"}) == cli::kExitUsage);
  CHECK(run(program, {}, [] { throw UsageError("bad combination"); }) == cli::kExitUsage);
  CHECK(run(program, {}, [] { throw Error("it broke"); }) == cli::kExitFailure);
  CHECK(run(program, {}, [] { throw std::runtime_error("unexpected"); }) == cli::kExitFailure);
  CHECK(run(program, {}, [] { throw BrokenPipe(); }) == cli::kExitFailure);
  CHECK(run(program, {}, [] {}) == cli::kExitOk);
}

TEST_CASE("the man page section and completions come from the same options") {
  cli::Program program("mm-test", "a test", kAll);
  std::string man = program.man_options();
  std::string bash = program.completion("bash"), zsh = program.completion("zsh"), fish = program.completion("fish");
  for (const char* option : {"output", "force", "quiet", "verbose", "json", "threads", "device", "seed", "help",
                             "version"}) {
    CAPTURE(option);
    CHECK(man.find(std::string("\\fB\\-\\-") + option + "\\fR") != std::string::npos);
    CHECK(bash.find(std::string("--") + option) != std::string::npos);
    CHECK(zsh.find(std::string("--") + option) != std::string::npos);
    CHECK(fish.find(std::string("-l ") + option) != std::string::npos);
  }
  CHECK(man.find("mm-generate") == std::string::npos);  // hidden
  CHECK_THROWS_AS(program.completion("tcsh"), UsageError);
}

TEST_CASE("--help folds long descriptions at 100 columns; the man page keeps them whole") {
  cli::Program program("mm-test", "a test", kAll);
  std::string value;
  std::string description;
  for (int i = 0; i < 40; ++i) description += (i ? " " : "") + std::string("word") + std::to_string(i);
  program.app().add_option("--long", value, description)->type_name("VALUE");
  const std::string help = program.app().help();
  size_t longest = 0, start = 0;
  std::string words;  // the description's words as --help shows them, in order
  for (size_t end; (end = help.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = help.substr(start, end - start);
    longest = std::max(longest, line.size());
    for (size_t at = line.find("word"); at != std::string::npos; at = line.find("word", at + 1)) {
      size_t stop = line.find(' ', at);
      words += (words.empty() ? "" : " ") + line.substr(at, stop == std::string::npos ? std::string::npos : stop - at);
    }
  }
  CHECK(longest <= 100);
  CHECK(longest > 80);  // folded, not cut short
  CHECK(words == description);
  CHECK(program.man_options().find(description) != std::string::npos);
}
