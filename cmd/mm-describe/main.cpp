// mm-describe: answers in text about a token stream, printing the answer as it is
// generated. A conversation is a stream: --conversation writes it with the new turns
// appended, and --save-state keeps the KV state so the next turn pays only for its own ids.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/bundle.h"
#include "cli/files.h"
#include "cli/program.h"
#include "cli/sampling_options.h"
#include "error.h"
#include "generate/backbone_model.h"
#include "generate/generator.h"
#include "generate/prefill_pieces.h"
#include "generate/segment_output.h"
#include "generate/stream_input.h"
#include "model/backbone.h"
#include "model/bundle.h"
#include "model/encoder.h"
#include "stream/reader.h"
#include "stream/segment.h"
#include "stream/writer.h"
#include "tokenize/tokenizer_set.h"

namespace {

bool names_a_stream(const std::string& argument) {
  std::error_code ec;
  return argument == "-" || (argument.size() > 4 && argument.compare(argument.size() - 4, 4, ".mmt") == 0) ||
         std::filesystem::exists(argument, ec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-describe",
                       "Answer in text about a token stream (a question as an argument or --prompt), printing words as they come.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kJson | cli::kThreads |
                           cli::kDevice | cli::kSeed);
  std::string input = "-", bundle, question, state, save_state, conversation, dtype = "f32";
  size_t max_tokens = 0, best_of = 0;
  cli::SamplingFlags sampling;
  auto& app = program.app();
  // DESIGN's `mm-tokenize clip.mp4 | mm-describe "what happens?"`: the question may come first,
  // as a positional, and a lone positional that is clearly a stream stays the INPUT.
  std::string positional_question;
  app.add_option("QUESTION", positional_question,
                 "The question, as --prompt; a lone argument that is '-', ends in .mmt or names an existing file is "
                 "the INPUT instead")
      ->type_name("TEXT");
  app.add_option("INPUT", input, "The stream to describe ('-' or none: stdin)")->type_name("FILE");
  app.add_option("-p,--prompt", question, "The question, asked as a user turn after the stream")->type_name("TEXT");
  app.add_option("--max-tokens", max_tokens, "The most codes in the answer (default: the bundle's)")
      ->type_name("N")
      ->check(CLI::Range(size_t(1), size_t(1) << 24));
  sampling.add(app, false);
  app.add_option("--best-of", best_of,
                 "Sample N answers and print the one nearest, in the model's shared space, the stream's last segment "
                 "that is not text (the image described), else its last segment; each embedded alone, as mm-encode "
                 "--embeddings embeds a segment. The model checks its words against what it was shown. Needs a "
                 "--temperature above 0")
      ->type_name("N")
      ->check(CLI::Range(size_t(2), size_t(256)));
  app.add_option("--state", state, "Start from this KV state (mm-encode --state, or --save-state of an earlier turn)")
      ->type_name("FILE");
  app.add_option("--save-state", save_state, "Write the KV state after the answer, for the next turn")
      ->type_name("FILE");
  app.add_option("--conversation", conversation,
                 "Write the input stream with the question and the answer appended (the next turn's input)")
      ->type_name("FILE");
  app.add_option("--dtype", dtype, "Compute dtype: f32, bf16 or f16")->check(CLI::IsMember({"f32", "bf16", "f16"}));
  app.add_option("--bundle", bundle, "Model bundle (default: $MM_BUNDLE, then the built-in one)")->type_name("DIR");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    if (app.count("QUESTION") && !app.count("INPUT") && names_a_stream(positional_question)) {
      input = positional_question;
      positional_question.clear();
    } else if (app.count("QUESTION")) {
      if (!question.empty()) throw UsageError("give the question once: as an argument or with --prompt, not both");
      question = positional_question;
    }
    const std::string dir = cli::find_bundle(bundle);
    auto config = model::BundleConfig::load(dir);
    if (config.layout_json.empty()) throw Error(dir + ": the bundle's config has no \"layout\"");
    const generate::Layout layout = generate::Layout::from_json(config.layout_json);
    if (!layout.has("text")) throw Error(dir + ": the bundle's layout has no code range for text");
    auto defaults = generate::GenerationDefaults::from_json(config.generation_json, "text");
    generate::SamplingOptions chosen = sampling.over(defaults.sampling);
    chosen.cfg = 1.0f;
    chosen.check();
    cli::check_best_of(best_of, chosen);
    tokenize::TokenizerSet tokenizers(dir);
    const tokenize::BpeTokenizer& bpe = tokenizers.bpe("text");

    // The conversation so far, written through to --conversation as it is read.
    cli::Input in(input);
    stream::Reader reader(in.source());
    std::unique_ptr<cli::Output> conversation_out;
    std::unique_ptr<stream::Writer> conversation_writer;
    if (!conversation.empty()) {
      conversation_out = std::make_unique<cli::Output>(conversation, cli::Content::Binary, opt.force);
      conversation_writer = std::make_unique<stream::Writer>(conversation_out->sink());
    }
    generate::SequenceBuilder sequence(layout);
    generate::read_stream_input(reader, sequence, layout, conversation_writer.get());
    // --best-of's judge: what the stream shows (model::judged_subject), not the question.
    std::optional<generate::SequenceParser::Segment> subject;
    if (best_of > 0 && !(subject = model::judged_subject(layout, sequence.ids())))
      throw UsageError("--best-of compares the answers with what the stream holds, and it holds no segment");
    if (!question.empty()) generate::append_text_segment(sequence, bpe, question, "user", conversation_writer.get());
    sequence.open_turn("assistant");

    model::Backbone backbone(dir, model::RunOptions{opt.device, dtype, opt.threads});
    generate::BackboneModel model(backbone, state);
    generate::Generator generator(model, layout);
    generate::Request request;
    request.prompt = sequence.ids();
    request.sampling = chosen;
    request.seed = opt.seed;

    // The answer's words go to stdout as they are chosen (unless --json); with --best-of, once
    // the judge has chosen.
    cli::Output out(opt.output, cli::Content::Text, opt.force);
    const generate::CodeRange text_range = layout.range("text");
    auto answer_of = [&](const std::vector<uint32_t>& ids) {
      std::vector<uint32_t> codes;
      for (uint32_t id : ids)
        if (text_range.contains(id)) codes.push_back(id - text_range.offset);
      return codes;
    };
    auto print = [&](const std::string& piece) {
      if (opt.json) return;
      out.sink().write(piece.data(), piece.size());
      out.sink().flush();
    };
    const generate::Constraint constraint =
        generate::Constraint::text(layout, "text", max_tokens ? max_tokens : defaults.max_tokens);
    std::vector<uint32_t> answer;
    std::optional<model::SampleChoice> choice;
    if (best_of > 0) {
      request.samples = best_of;
      const auto results = generator.run(request, constraint, [](size_t, uint32_t) {});
      const std::vector<float> query = model::embed_segment(backbone, layout, *subject);
      choice = model::nearest_sample(backbone, layout, query, results);
      answer = answer_of(results[choice->best]);
      for (uint32_t code : answer) print(bpe.token(code));
    } else {
      generator.run(request, constraint, [&](size_t, uint32_t id) {
        if (!text_range.contains(id)) return;
        answer.push_back(id - text_range.offset);
        print(bpe.token(answer.back()));
      });
    }
    std::string answer_text;
    for (uint32_t code : answer) answer_text += bpe.token(code);

    sequence.begin_segment("text", "assistant");
    sequence.codes(answer);
    sequence.end_segment();
    if (conversation_writer) {
      conversation_writer->begin_segment(stream::segment_metadata("text", bpe.id(), bpe.vocab_size(), "assistant"));
      conversation_writer->tokens(answer);
      conversation_writer->end_segment();
      conversation_writer->finish();
    }
    // The answer's ids were decoded one at a time (one-row matrix products), a prefill of the
    // conversation from scratch runs them as one piece, and the floats differ by rounding. So
    // row 0 is cut back to the split point before the answer's turn and the rest is prefilled
    // by the rule every prefill follows: the state then holds the floats the next turn without
    // it would compute, and that turn draws the same ids with it as without.
    size_t state_prefilled = 0;
    double state_seconds = 0;
    if (!save_state.empty()) {
      const auto start = std::chrono::steady_clock::now();
      const auto& want = sequence.ids();
      size_t keep = 0;  // --best-of's judge has reset the backbone: the whole conversation again
      if (choice) {
        model.reset(1, want.size());
      } else {
        const auto& held = generator.row0_ids();
        if (held.size() > want.size() || !std::equal(held.begin(), held.end(), want.begin()))
          throw Error("internal: the generated ids are not the conversation's");
        keep = generate::split_point_before(layout, want, request.prompt.size());
        backbone.truncate(0, keep);
      }
      generate::prefill_in_pieces(model, layout, 0, want, keep);
      state_prefilled = want.size() - keep;
      backbone.save_state(0, want, save_state);
      state_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    const auto& s = generator.stats();
    if (opt.json) {
      nlohmann::json j = {
          {"answer", answer_text},
          {"tokens",
           {{"prompt", s.prompt_ids},
            {"cached", s.cached_ids},
            {"prefilled", s.prefilled_ids},
            {"answer", answer.size()},
            {"state_prefilled", state_prefilled}}},
          {"seconds", {{"prefill", s.prefill_seconds}, {"decode", s.decode_seconds}, {"state", state_seconds}}},
          {"cpu_seconds", {{"prefill", s.prefill_cpu_seconds}, {"decode", s.decode_cpu_seconds}}},
      };
      if (choice) j["best_of"] = {{"sample", choice->best}, {"similarities", choice->similarities}};
      std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      out.sink().write(text.data(), text.size());
    } else if (answer_text.empty() || answer_text.back() != '\n') {
      out.sink().write("\n", 1);
    }
    if (conversation_out) conversation_out->commit();
    out.commit();
    if (opt.verbose > 0) {
      std::fprintf(stderr,
                   "mm-describe: prompt %zu ids (%zu from the state), prefill %zu ids in %.3f s; answer %zu codes in "
                   "%.3f s\n",
                   s.prompt_ids, s.cached_ids, s.prefilled_ids, s.prefill_seconds, answer.size(), s.decode_seconds);
      if (choice) cli::print_best_of(program.name(), "answer", choice->similarities, choice->best);
      if (!save_state.empty())
        std::fprintf(stderr, "mm-describe: the state's last %zu ids prefilled again in %.3f s\n", state_prefilled,
                     state_seconds);
    }
  });
}
