// mm-fit-vq: fit the image tokenizer's residual VQ codebook on photos.
#include <CLI/CLI.hpp>

#include <thread>

#include "cli/files.h"
#include "cli/program.h"
#include "error.h"
#include "media/image_io.h"
#include "media/resize.h"
#include "tokenize/vq_codebook.h"
#include "tokenize/vq_fit.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-fit-vq", "Fit the image tokenizer's codebook (residual VQ of patches) on photos, deterministically.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kThreads | cli::kSeed);
  std::vector<std::string> inputs;
  std::vector<std::string> own_size_inputs;
  std::vector<std::string> sizes = {"256"};
  tokenize::VqFitOptions options;
  auto& app = program.app();
  app.add_option("INPUT", inputs, "Photos to fit on (any format mm-tokenize reads)")->type_name("FILE");
  app.add_option("--size", sizes, "Scale each photo as mm-tokenize --size would (N: long side) before cutting patches; repeatable")
      ->type_name("N")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->capture_default_str();
  app.add_option("--own-size", own_size_inputs,
                 "Also fit on FILE as it is, not scaled by --size (images made at the size they are tokenized at); repeatable")
      ->type_name("FILE")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--own-size-codes", options.apart_codes,
                 "Codes of the first level fit on the --own-size images' patches alone, before the rest are fit on all "
                 "(0: none set apart)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--patch", options.patch, "Patch side in pixels: 4, 8 or 16")->type_name("N")->capture_default_str();
  app.add_option("--chroma-block", options.chroma_block, "Chroma is averaged over blocks of this side: 1, 2 or 4")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--levels", options.levels, "Residual levels (codes per patch)")->type_name("N")->capture_default_str();
  app.add_option("--codes", options.codes, "Codes per level (the vocabulary)")->type_name("N")->capture_default_str();
  app.add_option("--iterations", options.iterations, "k-means iterations per level")
      ->type_name("N")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--samples", options.samples, "Patches drawn from all photos to fit on")
      ->type_name("N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    tokenize::check_fit_options(options);
    if (inputs.empty() && own_size_inputs.empty()) throw UsageError("give the images to fit on (INPUT or --own-size FILE)");
    if (options.apart_codes > 0 && own_size_inputs.empty()) throw UsageError("--own-size-codes needs --own-size images");
    options.seed = opt.seed;
    options.threads = opt.threads > 0 ? opt.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<media::SizePolicy> policies;
    for (const auto& s : sizes) policies.push_back(media::parse_size(s));
    cli::Output out(opt.output, cli::Content::Binary, opt.force);
    std::vector<float> vectors;
    for (const auto& path : inputs) {
      media::Image image = media::read_image(path);
      for (const auto& policy : policies) {
        media::Placement p = media::place(image.width, image.height, policy, 1);
        media::Image scaled = media::resize(image, p.scaled_width, p.scaled_height);
        tokenize::append_patch_vectors(scaled, options.patch, options.chroma_block, vectors);
      }
    }
    std::vector<float> apart;  // the --own-size images' patches again, for the codes set apart
    for (const auto& path : own_size_inputs) {
      size_t first = vectors.size();
      tokenize::append_patch_vectors(media::read_image(path), options.patch, options.chroma_block, vectors);
      if (options.apart_codes > 0) apart.insert(apart.end(), vectors.begin() + first, vectors.end());
    }
    int dims = tokenize::Codebook::dims_for(options.patch, std::max(1, options.chroma_block));
    if (opt.verbose)
      cli::warn(program.name(), std::to_string(vectors.size() / dims) + " patches from " +
                                    std::to_string(inputs.size() + own_size_inputs.size()) + " photos");
    tokenize::Codebook book = tokenize::fit_codebook(vectors, apart, options, [&](const std::string& line) {
      if (opt.verbose) cli::warn(program.name(), line);
    });
    std::vector<uint8_t> bytes = tokenize::serialize_codebook(book);
    out.sink().write(bytes.data(), bytes.size());
    out.commit();
    if (!opt.quiet)
      cli::warn(program.name(),
                tokenize::codebook_id(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) + ": " +
                    std::to_string(book.levels) + " levels of " + std::to_string(book.codes) + " codes, " +
                    std::to_string(book.patch) + "-pixel patches");
  });
}
