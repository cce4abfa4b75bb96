// mm-generate: continues a token stream with a new segment in any modality, sampled from
// the bundle's backbone under the layout's grammar.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/bundle.h"
#include "cli/files.h"
#include "cli/program.h"
#include "cli/sampling_options.h"
#include "error.h"
#include "generate/backbone_model.h"
#include "generate/generator.h"
#include "generate/segment_output.h"
#include "generate/stream_input.h"
#include "model/backbone.h"
#include "model/bundle.h"
#include "model/encoder.h"
#include "stream/reader.h"
#include "stream/writer.h"
#include "tokenize/tokenizer_set.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-generate",
                       "Continue a token stream with new segments (text, code, image, video or audio) from the model.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kThreads | cli::kDevice |
                           cli::kSeed);
  std::string input = "-", bundle, image_grid, state, role, instruction, judge, dtype = "f32";
  uint32_t video_frames = 0;
  double audio_seconds = 0;
  bool text = false, code = false, only_new = false;
  size_t samples = 1, best_of = 0, max_tokens = 0;
  cli::SamplingFlags sampling;
  auto& app = program.app();
  app.add_option("INPUT", input, "The stream to continue ('-' or none: stdin)")->type_name("FILE");
  app.add_option("-p,--prompt", instruction,
                 "An instruction or question, as a user turn after the stream and before the new segments (and "
                 "written with them, unless --only-new)")
      ->type_name("TEXT");
  auto* image_opt = app.add_option("--image", image_grid, "Generate an image of WxH codes (default: the bundle's grid)")
                        ->type_name("WxH")
                        ->expected(0, 1);
  app.add_option("--video", video_frames, "Generate a video of N frames")->type_name("N")->check(CLI::Range(1u, 100000u));
  app.add_option("--audio", audio_seconds, "Generate SECONDS of sound")->type_name("SECONDS")->check(CLI::PositiveNumber);
  app.add_flag("--text", text, "Generate text (the default)");
  app.add_flag("--code", code, "Generate code");
  app.add_option("-n,--samples", samples, "Independent samples, each its own segment")
      ->type_name("N")
      ->check(CLI::Range(size_t(1), size_t(256)));
  app.add_option("--best-of", best_of,
                 "Draw N samples and write the one nearest, in the model's shared space, the prompt's last segment "
                 "that is not text (the image to write code for, the code to draw), else its last segment (the "
                 "caption to draw); each embedded alone, as mm-encode --embeddings embeds a segment. The model "
                 "judges its own work. Needs a --temperature above 0")
      ->type_name("N")
      ->check(CLI::Range(size_t(2), size_t(256)));
  app.add_option("--judge", judge,
                 "With --best-of: compare the samples with this text instead (the caption alone, say, without the "
                 "instruction around it)")
      ->type_name("TEXT");
  app.add_option("--max-tokens", max_tokens, "Text and code: the most codes to generate (default: the bundle's)")
      ->type_name("N")
      ->check(CLI::Range(size_t(1), size_t(1) << 24));
  sampling.add(app, true);
  app.add_option("--state", state, "Start from this KV state (mm-encode --state) instead of reading the input anew")
      ->type_name("FILE");
  app.add_option("--role", role, "Role of the new segments (default: assistant when the input has turns)")
      ->type_name("ROLE")
      ->check(CLI::IsMember({"system", "user", "assistant"}));
  app.add_flag("--only-new", only_new, "Write only the new segments, not the input before them");
  app.add_option("--dtype", dtype, "Compute dtype: f32, bf16 or f16")->check(CLI::IsMember({"f32", "bf16", "f16"}));
  app.add_option("--bundle", bundle, "Model bundle (default: $MM_BUNDLE, then the built-in one)")->type_name("DIR");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    const bool image = image_opt->count() > 0;
    int chosen = int(image) + int(video_frames > 0) + int(audio_seconds > 0) + int(text) + int(code);
    if (chosen > 1) throw UsageError("choose one of --image, --video, --audio, --text and --code");
    if (best_of > 0 && samples > 1) throw UsageError("--best-of writes one sample; it does not go with -n");
    if (!judge.empty() && best_of == 0) throw UsageError("--judge is for --best-of");
    const std::string modality = image                ? "image"
                                 : video_frames > 0   ? "video"
                                 : audio_seconds > 0  ? "audio"
                                 : code               ? "code"
                                                      : "text";

    const std::string dir = cli::find_bundle(bundle);
    auto config = model::BundleConfig::load(dir);
    if (config.layout_json.empty()) throw Error(dir + ": the bundle's config has no \"layout\"");
    const generate::Layout layout = generate::Layout::from_json(config.layout_json);
    if (!layout.has(modality)) throw Error(dir + ": the bundle's layout has no code range for " + modality);
    auto defaults = generate::GenerationDefaults::from_json(config.generation_json, modality);
    generate::SamplingOptions chosen_sampling = sampling.over(defaults.sampling);
    // Guidance is for media; text and code get it only when asked for.
    if ((modality == "text" || modality == "code") && !sampling.cfg_given()) chosen_sampling.cfg = 1.0f;
    chosen_sampling.check();
    cli::check_best_of(best_of, chosen_sampling);
    tokenize::TokenizerSet tokenizers(dir);

    // Without a grid from the bundle: a square of patches, each patch its codes per level.
    if (generate::is_visual(modality) && !defaults.grid_given) {
      uint32_t patches = modality == "video" ? 16 : 32, levels = uint32_t(tokenizers.vq(modality).levels());
      defaults.grid = generate::Shape{patches * levels, patches, 1};
    }
    generate::SegmentPlan plan;
    plan.modality = modality;
    if (image) plan.shape = image_grid.empty() ? defaults.grid : generate::parse_grid(image_grid);
    if (modality == "video") plan.shape = generate::Shape{defaults.grid.width, defaults.grid.height, video_frames};
    plan.fps = defaults.fps;
    if (modality == "audio") generate::plan_audio(tokenizers, audio_seconds, plan);
    if (modality == "text" || modality == "code") plan.codes = max_tokens ? max_tokens : defaults.max_tokens;

    // Everything that can be refused is checked before the first record goes out: the
    // files, the segment's metadata (the grid against the tokenizer), the backbone.
    cli::Input in(input);
    cli::Output out(opt.output, cli::Content::Binary, opt.force);
    generate::generated_metadata(tokenizers, plan, 0, samples);
    const tokenize::BpeTokenizer* instruction_bpe = instruction.empty() ? nullptr : &tokenizers.bpe("text");
    model::Backbone backbone(dir, model::RunOptions{opt.device, dtype, opt.threads});
    generate::BackboneModel model(backbone, state);

    // The input: its sequence, and (unless --only-new) its records written through at once.
    stream::Reader reader(in.source());
    stream::Writer writer(out.sink());
    generate::SequenceBuilder prompt(layout);
    generate::read_stream_input(reader, prompt, layout, only_new ? nullptr : &writer);
    if (instruction_bpe)
      generate::append_text_segment(prompt, *instruction_bpe, instruction, "user", only_new ? nullptr : &writer);
    // --best-of's judge: --judge's text, else what the prompt is about (model::judged_subject).
    std::vector<float> query;
    if (!judge.empty()) {
      generate::SequenceParser::Segment text_segment;
      text_segment.modality = "text";
      text_segment.codes = tokenizers.bpe("text").encode(judge);
      query = model::embed_segment(backbone, layout, text_segment);
    } else if (best_of > 0) {
      const auto subject = model::judged_subject(layout, prompt.ids());
      if (!subject)
        throw UsageError("--best-of compares the samples with the prompt's last segment, and the prompt has none "
                         "(give --judge TEXT)");
      query = model::embed_segment(backbone, layout, *subject);
    }
    plan.role = role.empty() && !prompt.turn().empty() ? "assistant" : role;
    prompt.open_turn(plan.role);
    generate::SequenceBuilder unconditional(layout);
    unconditional.open_turn(plan.role);

    generate::Constraint constraint =
        generate::is_visual(modality) ? generate::Constraint::visual(layout, modality, plan.shape)
        : modality == "audio"         ? generate::Constraint::audio(layout, plan.codes)
                                      : generate::Constraint::text(layout, modality, plan.codes);

    generate::Generator generator(model, layout);
    generate::Request request;
    request.prompt = prompt.ids();
    request.unconditional = unconditional.ids();
    request.samples = best_of > 0 ? best_of : samples;
    request.sampling = chosen_sampling;
    request.seed = opt.seed;

    const tokenize::BpeTokenizer* bpe = modality == "text" || modality == "code" ? &tokenizers.bpe(modality) : nullptr;
    auto write = [&](const std::vector<uint32_t>& ids, size_t sample, size_t of) {
      generate::SegmentWriter segment(layout, writer, generate::generated_metadata(tokenizers, plan, sample, of), bpe);
      for (uint32_t id : ids) segment.push(id);
    };
    if (best_of > 0) {
      auto results = generator.run(request, constraint, [](size_t, uint32_t) {});
      const model::SampleChoice choice = model::nearest_sample(backbone, layout, query, results);
      if (opt.verbose > 0) cli::print_best_of(program.name(), "sample", choice.similarities, choice.best);
      write(results[choice.best], choice.best, best_of);
    } else {
      // Sample 0 is written as it is generated; the others follow it, in order.
      generate::SegmentWriter live(layout, writer, generate::generated_metadata(tokenizers, plan, 0, samples), bpe);
      auto results = generator.run(request, constraint, [&](size_t sample, uint32_t id) {
        if (sample == 0) live.push(id);
      });
      for (size_t i = 1; i < samples; ++i) write(results[i], i, samples);
    }
    writer.finish();
    out.commit();

    const auto& s = generator.stats();
    if (opt.verbose > 0) {
      std::fprintf(stderr,
                   "mm-generate: prompt %zu ids (%zu from the state), prefill %zu ids in %.3f s; %zu ids in %zu "
                   "steps in %.3f s: %.1f ids/s, %.1f ids per CPU second\n",
                   s.prompt_ids, s.cached_ids, s.prefilled_ids, s.prefill_seconds, s.generated_ids, s.steps,
                   s.decode_seconds, s.decode_seconds > 0 ? s.generated_ids / s.decode_seconds : 0.0,
                   s.decode_cpu_seconds > 0 ? s.generated_ids / s.decode_cpu_seconds : 0.0);
    }
  });
}
