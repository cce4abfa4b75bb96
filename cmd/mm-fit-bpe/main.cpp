// mm-fit-bpe: fit a byte-level BPE vocabulary on text and code files.
#include <CLI/CLI.hpp>

#include "cli/files.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "error.h"
#include "tokenize/bpe_fit.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-fit-bpe", "Fit a byte-level BPE vocabulary (tokenizer.json) on text and code files.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose);
  std::vector<std::string> inputs;
  tokenize::BpeFitOptions options;
  auto& app = program.app();
  app.add_option("INPUT", inputs, "Corpus files ('-': stdin), read as bytes")->type_name("FILE")->required();
  app.add_option("--vocab-size", options.vocab_size, "Codes in the vocabulary: 256 bytes, the merges and the specials")
      ->type_name("N")
      ->check(CLI::Range(size_t(257), size_t(1) << 24))
      ->capture_default_str();
  app.add_option("--min-frequency", options.min_frequency, "Stop before merging a pair seen fewer times")
      ->type_name("N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--pattern", options.pattern, "Pre-tokenizer regular expression (PCRE2); default: Qwen2's")
      ->type_name("REGEX");
  app.add_option("--special", options.specials, "A special token appended to the vocabulary; repeatable")
      ->type_name("TEXT")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    cli::Output out(opt.output, cli::Content::Text, opt.force);
    tokenize::BpeFitter fitter(options);
    std::vector<char> buffer(1 << 20);
    uint64_t bytes = 0;
    cli::Progress reading("reading", !opt.quiet);
    for (const auto& path : inputs) {
      cli::Input in(path, false);
      std::string text;
      for (size_t n; (n = in.source().read(buffer.data(), buffer.size())) > 0;) text.append(buffer.data(), n);
      fitter.add(text);
      bytes += text.size();
      reading.update(bytes, fitter.pieces());
    }
    reading.finish();
    if (opt.verbose)
      cli::warn(program.name(), "read " + std::to_string(bytes) + " bytes in " + std::to_string(inputs.size()) +
                                    " files, " + std::to_string(fitter.pieces()) + " pieces");
    cli::Progress merging("merging", !opt.quiet);
    tokenize::BpeTokenizer tokenizer = fitter.fit([&](size_t done, size_t) { merging.update(done, done); });
    merging.finish();
    std::string json = tokenizer.to_huggingface_json();
    out.sink().write(json.data(), json.size());
    out.commit();
    if (opt.verbose)
      cli::warn(program.name(), tokenizer.id() + ": " + std::to_string(tokenizer.vocab_size()) + " codes, " +
                                    std::to_string(tokenizer.merge_count()) + " merges");
  });
}
