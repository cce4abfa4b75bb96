// mm-train: trains a bundle's backbone on token streams (see mm-train(1)).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/program.h"
#include "error.h"
#include "examples.h"
#include "generate/layout.h"
#include "model/bundle.h"
#include "trainer.h"

namespace fs = std::filesystem;

// Fails before any work when the output directory cannot be made or written.
static void check_writable(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw mm::Error(dir + ": cannot create the output directory: " + ec.message());
  fs::path probe = fs::path(dir) / ".mm-train-probe";
  std::ofstream out(probe);
  out << "ok\n";
  out.close();
  if (!out) throw mm::Error(dir + ": the output directory is not writable");
  fs::remove(probe, ec);
}

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-train", "Train a model bundle's backbone on token streams (next-id prediction on the answers).",
                       cli::kQuiet | cli::kVerbose | cli::kJson | cli::kThreads | cli::kDevice | cli::kSeed);
  train::TrainOptions o;
  std::vector<std::string> inputs, pair_inputs;
  std::string scored = "answers", unit = "file", softmax = "full";
  const std::vector<std::string> softmax_names(std::begin(train::TrainOptions::kSoftmaxNames),
                                               std::end(train::TrainOptions::kSoftmaxNames));
  uint64_t log_every = 10;
  auto& app = program.app();
  app.add_option("STREAM", inputs, "Training streams: .mmt files or directories of them (see --example)")
      ->required()
      ->type_name("FILE|DIR");
  app.add_option("-o,--output", o.output, "Directory to write the trained bundle, its loss curve and checkpoint to")
      ->required()
      ->type_name("DIR");
  app.add_option("--bundle", o.bundle, "The starting bundle (config, layout, tokenizers, initial weights: mm-bundle init)")
      ->type_name("DIR");
  app.add_option("--resume", o.resume, "Continue from a checkpoint directory (OUTPUT/checkpoint) exactly; a finished run's only writes its bundle again (with this --dtype)")->type_name("DIR");
  app.add_option("--steps", o.steps, "Optimizer steps in all")->check(CLI::Range(uint64_t(1), uint64_t(1) << 40))->capture_default_str();
  app.add_option("--batch", o.batch, "Rows per step")->check(CLI::Range(1u, 65536u))->capture_default_str();
  app.add_option("--context", o.context, "Ids per row: whole examples are packed into rows this long (longer ones cut)")
      ->check(CLI::Range(2u, 1u << 20))
      ->capture_default_str();
  app.add_option("--lr", o.lr, "Peak learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--min-lr", o.min_lr, "Learning rate at the end of the cosine decay")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--warmup", o.warmup, "Steps of linear warm-up")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "AdamW weight decay (matrices only, never norms)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--clip", o.clip, "Clip the gradients' global norm to this (0: no clipping)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--scored", scored, "Which ids the loss scores: answers (assistant turns and segments without a role) or all")
      ->check(CLI::IsMember({"answers", "all"}))
      ->capture_default_str();
  app.add_option("--softmax", softmax,
                 "The loss's softmax over the full vocabulary, or only the ids the streams hold and the starting "
                 "bundle's output_ids (seen: much faster; the bundle names them as its output_ids, the only ids it "
                 "then produces), or only the ids the streams hold (data: as seen, but the starting bundle's other "
                 "output ids are never the loss's negatives, so a phase on narrower data leaves their rows as they were)")
      ->check(CLI::IsMember(softmax_names))
      ->capture_default_str();
  app.add_option("--example", unit, "What one example is: a file (its members the turns of one conversation) or each member of a stream")
      ->check(CLI::IsMember({"file", "member"}))
      ->capture_default_str();
  app.add_option("--checkpoint-every", o.checkpoint_every, "Also write OUTPUT/checkpoint every N steps (0: at the end only)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--stop-after", o.stop_after, "Stop after this step, checkpointed, as if interrupted (0: run to --steps)")
      ->type_name("N")
      ->capture_default_str();
  app.add_flag("--zero-unseen", o.zero_unseen,
               "With --softmax seen or data: write the embedding rows of ids the streams never hold as zeros (never trained; "
               "zeros compress); the checkpoint keeps them");
  app.add_option("--grid-places", o.grid_places,
                 "Add learned row and column embeddings (N of each, zeros to start) for the codes of images and "
                 "videos to a bundle that has none, so attention can find the same place in another image")
      ->type_name("N")
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--align-visual", o.align_visual,
                 "Start each image and video at a rotary position that is a multiple of N, so that the same place "
                 "in two images a turn apart is always the same distance back")
      ->type_name("N")
      ->check(CLI::Range(1u, 65536u));
  app.add_flag("--grid-rope", o.grid_rope,
               "Turn a quarter of the rotary pairs of image and video codes by the code's row and a quarter by its "
               "column, so that the same place in two images is the same rotation there");
  app.add_option("--dtype", o.dtype, "Type of the weights written to the bundle (checkpoints are always f32)")
      ->check(CLI::IsMember({"f32", "bf16", "f16"}))
      ->capture_default_str();
  app.add_option("--pairs", pair_inputs,
                 "Also train embeddings contrastively on pairs: streams whose members each hold two views of one thing "
                 "(an image and its caption), pooled as mm-encode --embeddings pools them")
      ->type_name("FILE|DIR");
  app.add_option("--pair-batch", o.pair_batch, "With --pairs: pairs per step (the others in the step are each pair's negatives)")
      ->check(CLI::Range(2u, 65536u))
      ->capture_default_str();
  app.add_option("--pair-weight", o.pair_weight, "With --pairs: the contrastive loss's weight beside the next-id loss")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--pair-temperature", o.pair_temperature, "With --pairs: cosine similarities are divided by this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--log-every", log_every, "With -v: a line on stderr every N steps")->check(CLI::Range(uint64_t(1), uint64_t(1) << 40))->capture_default_str();

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    o.seed = opt.seed;
    using Softmax = train::TrainOptions::Softmax;
    o.softmax = Softmax(std::find(softmax_names.begin(), softmax_names.end(), softmax) - softmax_names.begin());
    if (o.zero_unseen && o.softmax == Softmax::Full) throw UsageError("--zero-unseen needs --softmax seen or data (the ids it keeps)");
    o.device = opt.device;
    o.threads = opt.threads;
    if (o.bundle.empty()) o.bundle = o.resume;
    if (o.bundle.empty()) throw UsageError("--bundle DIR is required (make one with mm-bundle init)");
    if (o.min_lr > o.lr) throw UsageError("--min-lr must not exceed --lr");
    check_writable(o.output);

    model::BundleConfig bundle = model::BundleConfig::load(o.bundle);
    if (bundle.layout_json.empty()) throw Error(o.bundle + ": the bundle has no layout");
    generate::Layout layout = generate::Layout::from_json(bundle.layout_json);
    train::ExampleSet data = train::load_examples(inputs, o.bundle, layout,
                                                  scored == "all" ? train::Scored::All : train::Scored::Answers,
                                                  unit == "member" ? train::ExampleUnit::Member : train::ExampleUnit::File);

    const bool live = !opt.quiet && isatty(STDERR_FILENO);
    auto on_step = [&](const train::LossPoint& p, uint64_t steps) {
      if (live) {
        std::fprintf(stderr, "\rmm-train: step %llu/%llu  loss %.4f  lr %.2e  %.0f ids/s  ", (unsigned long long)p.step,
                     (unsigned long long)steps, p.loss, p.lr, double(p.ids) / std::max(p.seconds, 1e-9));
        if (p.step == steps) std::fputc('\n', stderr);
      } else if (opt.verbose > 0 && (p.step % log_every == 0 || p.step == steps)) {
        std::fprintf(stderr, "mm-train: step %llu/%llu loss %.4f%s lr %.3g grad-norm %.3g %.0f ids/s\n",
                     (unsigned long long)p.step, (unsigned long long)steps, p.loss,
                     pair_inputs.empty() ? "" : (" pair-loss " + std::to_string(p.pair_loss)).c_str(), p.lr, p.grad_norm,
                     double(p.ids) / std::max(p.seconds, 1e-9));
      }
    };
    std::unique_ptr<train::PairSet> pairs;
    if (!pair_inputs.empty()) pairs = std::make_unique<train::PairSet>(train::load_pairs(pair_inputs, o.bundle, layout));
    train::TrainResult r = train::train(data, pairs.get(), o, on_step);
    if (live) std::fputc('\n', stderr);
    if (r.truncated > 0)
      cli::warn("mm-train", std::to_string(r.truncated) + " examples were longer than --context and were cut");
    if (opt.quiet) return;
    if (r.last_step < r.first_step && !opt.json) {
      std::printf("%s: written from the checkpoint at step %llu (no steps left to run: it is at --steps or --stop-after)\n",
                  o.output.c_str(), (unsigned long long)r.last_step);
      return;
    }
    const size_t window = std::max<size_t>(1, std::min<size_t>(20, r.curve.size() / 5));
    const double first = train::mean_loss(r.curve, window, false), last = train::mean_loss(r.curve, window, true);
    if (opt.json) {
      nlohmann::ordered_json j = {{"output", o.output},         {"examples", data.examples.size()},
                                  {"ids", data.ids},            {"scored", data.scored},
                                  {"parameters", r.parameters}, {"steps", {r.first_step, r.last_step}},
                                  {"rows_per_epoch", r.rows_per_epoch}, {"truncated", r.truncated}, {"softmax_ids", r.softmax_ids},
                                  {"loss_first", first},        {"loss_last", last},
                                  {"window", window},           {"seconds", r.seconds},
                                  {"ids_per_second", double(r.ids) / std::max(r.seconds, 1e-9)},
                                  {"steps_per_second", double(r.last_step - r.first_step + 1) / std::max(r.seconds, 1e-9)}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s: %zu examples (%llu ids, %llu scored), %llu parameters, steps %llu-%llu in %.1f s "
                  "(%.2f steps/s, %.0f ids/s); loss %.4f -> %.4f (mean of the first and last %zu steps)\n",
                  o.output.c_str(), data.examples.size(), (unsigned long long)data.ids, (unsigned long long)data.scored,
                  (unsigned long long)r.parameters, (unsigned long long)r.first_step, (unsigned long long)r.last_step,
                  r.seconds, double(r.last_step - r.first_step + 1) / std::max(r.seconds, 1e-9),
                  double(r.ids) / std::max(r.seconds, 1e-9), first, last, window);
    }
  });
}
