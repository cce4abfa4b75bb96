// mm-fit-audio: fit the default audio tokenizer's codebooks on recordings.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/files.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "error.h"
#include "media/audio.h"
#include "tokenize/audio_fit.h"
#include "tokenize/audio_tokenizer.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-fit-audio",
                       "Fit the audio tokenizer's codebooks (envelope shapes and their corrections) on recordings.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kThreads | cli::kSeed);
  std::vector<std::string> inputs;
  tokenize::AudioFitOptions options;
  auto& app = program.app();
  app.add_option("INPUT", inputs, "Recordings (any format mm-tokenize reads), each heard as mono at 16 kHz")
      ->type_name("FILE")
      ->required();
  app.add_option("--bands", options.bands, "Mel-spaced bands of the envelope")
      ->type_name("N")->check(CLI::Range(2, 128))->capture_default_str();
  app.add_option("--shape-codes", options.shape_codes, "Envelope shapes (the first code of a frame)")
      ->type_name("N")->check(CLI::Range(2, 65536))->capture_default_str();
  app.add_option("--residual-codes", options.residual_codes, "Corrections of the shape (second code: gain level x these)")
      ->type_name("N")->check(CLI::Range(1, 65536))->capture_default_str();
  app.add_option("--gain-levels", options.gain_levels, "Loudness levels from -100 dB to +10 dB (second code)")
      ->type_name("N")->check(CLI::Range(2, 4096))->capture_default_str();
  app.add_option("--iterations", options.iterations, "k-means iterations per codebook")
      ->type_name("N")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--max-frames", options.max_frames, "Frames drawn (seeded) for the fit when more are given")
      ->type_name("N")->check(CLI::PositiveNumber)->capture_default_str();

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    options.seed = opt.seed;
    options.threads = opt.threads > 0 ? opt.threads : 1;  // the codebooks do not depend on it
    cli::Output out(opt.output, cli::Content::Binary, opt.force);
    tokenize::AudioFitter fitter(options);
    double seconds = 0;
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& path : inputs) {
      const int rate = fitter.geometry().sample_rate;
      std::vector<float> samples = media::read_mono(path, rate);
      fitter.add(samples.data(), samples.size());
      seconds += double(samples.size()) / rate;
      // Names only, so the codebooks do not depend on where the files lie.
      sources.push_back(path.substr(path.find_last_of('/') + 1));
    }
    if (opt.verbose)
      cli::warn(program.name(), "read " + std::to_string(inputs.size()) + " recordings, " + std::to_string(int(seconds)) +
                                    " s, " + std::to_string(fitter.frames()) + " frames with sound");
    nlohmann::json fit = {{"program", "mm-fit-audio"}, {"seed", options.seed},   {"iterations", options.iterations},
                          {"frames", fitter.frames()}, {"seconds", std::round(seconds * 100) / 100}, {"sources", sources}};
    auto book = fitter.fit(fit.dump(), [&](const std::string& line) {
      if (opt.verbose) cli::warn(program.name(), line);
    });
    std::string bytes = book.serialize();
    out.sink().write(bytes.data(), bytes.size());
    out.commit();
    if (opt.verbose) {
      tokenize::AudioTokenizer tokenizer(std::move(book));
      cli::warn(program.name(), tokenizer.id() + ": " + std::to_string(tokenizer.vocab_size()) + " codes, " +
                                    std::to_string(bytes.size()) + " bytes");
    }
  });
}
