// The sampling options that every generating program shares (mm-generate, mm-describe):
// one table, so their --help, man pages and completions say the same, and a value given on
// the command line overrides the bundle's default for the modality while an absent one
// keeps it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "generate/sampling.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace mm::cli {

class SamplingFlags {
 public:
  // Adds --cfg (when `guidance`), --temperature, --top-k, --top-p and --repeat-penalty.
  void add(CLI::App& app, bool guidance);
  // `defaults` with every option the command line gave laid over it.
  generate::SamplingOptions over(const generate::SamplingOptions& defaults) const;
  bool cfg_given() const;

 private:
  generate::SamplingOptions given_;
  CLI::Option* cfg_ = nullptr;
  CLI::Option* temperature_ = nullptr;
  CLI::Option* top_k_ = nullptr;
  CLI::Option* top_p_ = nullptr;
  CLI::Option* repeat_penalty_ = nullptr;
};

// --best-of N compares N different samples: refused (UsageError) at temperature 0, where
// all N would be the same.
void check_best_of(size_t best_of, const generate::SamplingOptions& chosen);
// -v's account of a --best-of choice on stderr: "PROGRAM: SAMPLE i: similarity s" for each,
// then "PROGRAM: best of N: SAMPLE b".
void print_best_of(const std::string& program, const char* sample, const std::vector<double>& similarities,
                   size_t best);

}  // namespace mm::cli
