#include "cli/sampling_options.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "error.h"

namespace mm::cli {

void SamplingFlags::add(CLI::App& app, bool guidance) {
  if (guidance)
    cfg_ = app.add_option("--cfg", given_.cfg, "Classifier-free guidance scale; 1: none (default: the bundle's)")
               ->type_name("SCALE");
  temperature_ = app.add_option("--temperature", given_.temperature, "Sampling temperature; 0: greedy")->type_name("T");
  top_k_ = app.add_option("--top-k", given_.top_k, "Keep the K most likely ids; 0: all")->type_name("K");
  top_p_ = app.add_option("--top-p", given_.top_p, "Keep the smallest set of ids whose probability reaches P")
               ->type_name("P");
  repeat_penalty_ = app.add_option("--repeat-penalty", given_.repeat_penalty,
                                   "Divide the logits of ids already in the sequence by this (1: off)")
                        ->type_name("X");
}

bool SamplingFlags::cfg_given() const { return cfg_ && cfg_->count() > 0; }

generate::SamplingOptions SamplingFlags::over(const generate::SamplingOptions& defaults) const {
  generate::SamplingOptions chosen = defaults;
  if (cfg_given()) chosen.cfg = given_.cfg;
  if (temperature_->count()) chosen.temperature = given_.temperature;
  if (top_k_->count()) chosen.top_k = given_.top_k;
  if (top_p_->count()) chosen.top_p = given_.top_p;
  if (repeat_penalty_->count()) chosen.repeat_penalty = given_.repeat_penalty;
  return chosen;
}

void check_best_of(size_t best_of, const generate::SamplingOptions& chosen) {
  if (best_of > 0 && chosen.temperature == 0)
    throw UsageError("--best-of " + std::to_string(best_of) +
                     " chooses among samples, and at temperature 0 they are all the same: give a --temperature above "
                     "0 (the bundle's default for text and code is often 0)");
}

void print_best_of(const std::string& program, const char* sample, const std::vector<double>& similarities,
                   size_t best) {
  for (size_t i = 0; i < similarities.size(); ++i)
    std::fprintf(stderr, "%s: %s %zu: similarity %.4f\n", program.c_str(), sample, i, similarities[i]);
  std::fprintf(stderr, "%s: best of %zu: %s %zu\n", program.c_str(), similarities.size(), sample, best);
}

}  // namespace mm::cli
