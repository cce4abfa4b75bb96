// mm-bundle: describe, make and verify model bundles (see mm-bundle(5)).
#include <CLI/CLI.hpp>

#include "cli/files.h"
#include "cli/program.h"
#include "error.h"
#include "model/bundle_tools.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-bundle", "Describe (info), make with random weights (init) or check (verify) a model bundle.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kJson | cli::kSeed);
  std::string action, dir, config, tokenizers, dtype = "f32";
  unsigned shards = 1;
  bool embed_codebook = false;
  auto& app = program.app();
  app.add_option("ACTION", action, "info, init or verify")
      ->required()
      ->check(CLI::IsMember({"info", "init", "verify"}));
  app.add_option("BUNDLE", dir, "The bundle directory (init creates it)")->required()->type_name("DIR");
  app.add_option("--config", config, "init: the config to make the bundle from (see mm-bundle(5))")->type_name("FILE");
  app.add_option("--tokenizers", tokenizers,
                 "init: take the tokenizers, their files and the id layout of this bundle (the config then has neither)")
      ->type_name("BUNDLE");
  app.add_option("--dtype", dtype, "init: the weights' dtype")->check(CLI::IsMember({"f32", "bf16", "f16"}))->capture_default_str();
  app.add_option("--shards", shards, "init: split the weights into N files with an index, as Hugging Face does")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app.add_flag("--embed-codebook", embed_codebook,
               "init: start the image codes' embeddings from their codebook patches (a seeded projection) instead of "
               "noise, so codes that look alike start alike");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    std::string text;
    if (action == "init") {
      if (config.empty()) throw UsageError("init needs --config FILE");
      model::init_bundle(config, dir, {dtype, opt.seed, shards, embed_codebook, tokenizers});
      if (!opt.quiet) text = model::bundle_info(dir, opt.json);
    } else {
      if (!config.empty() || !tokenizers.empty() || shards != 1 || embed_codebook)
        throw UsageError("--config, --tokenizers, --shards and --embed-codebook are for init");
      text = action == "info" ? model::bundle_info(dir, opt.json) : model::verify_bundle(dir, opt.json);
      if (opt.quiet && action == "verify") text.clear();
    }
    cli::Output out(opt.output, cli::Content::Text, opt.force);
    out.sink().write(text.data(), text.size());
    out.commit();
  });
}
