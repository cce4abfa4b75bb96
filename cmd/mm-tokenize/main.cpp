// mm-tokenize: media -> token stream. Each input becomes a segment, in order.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/bundle.h"
#include "cli/files.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "error.h"
#include "media/modality.h"
#include "stream/segment.h"
#include "stream/writer.h"
#include "tokenize/tokenizer_set.h"

namespace {

using namespace mm;

constexpr size_t kReadBlock = 1 << 20;
constexpr size_t kMaxCarry = 16 << 20;  // a "line" longer than this is cut anyway

struct Job {
  std::string path;   // for files and stdin
  std::string text;   // for --text
  bool literal = false;
};

// Encodes text in blocks cut at safe boundaries, so memory stays bounded and the codes
// equal those of the whole text; each block is flushed as it is encoded.
void tokenize_text(const tokenize::BpeTokenizer& bpe, stream::Source* source, std::string_view literal,
                   std::string head, stream::Writer& writer, cli::Progress& progress, uint64_t& done) {
  std::string buffer = std::move(head);
  std::vector<uint32_t> codes;
  auto emit = [&](size_t length) {
    codes.clear();
    bpe.encode(std::string_view(buffer).substr(0, length), codes);
    writer.tokens(codes);
    writer.flush();
    buffer.erase(0, length);
  };
  if (!source) {
    buffer.assign(literal);
    emit(buffer.size());
    return;
  }
  std::vector<char> block(kReadBlock);
  for (;;) {
    size_t n = source->read(block.data(), block.size());
    buffer.append(block.data(), n);
    done += n;
    progress.update(done, 0);
    if (n == 0) break;
    size_t cut = tokenize::BpeTokenizer::chunk_boundary(buffer);
    if (cut == 0 && buffer.size() > kMaxCarry) cut = buffer.size();
    if (cut > 0) emit(cut);
  }
  if (!buffer.empty()) emit(buffer.size());
}

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("mm-tokenize",
                       "Turn text, code, images, video and audio into a token stream (.mmt); each input is a segment.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose);
  std::vector<std::string> inputs, texts;
  std::string role, modality, bundle;
  auto& app = program.app();
  app.add_option("INPUT", inputs, "Files to tokenize, in order ('-': stdin; none and no --text: stdin)")
      ->type_name("FILE");
  app.add_option("--text", texts, "A literal text segment, before the files; repeatable")
      ->type_name("TEXT")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--role", role, "Conversation role of the segments: system, user or assistant")
      ->type_name("ROLE")
      ->check(CLI::IsMember({"system", "user", "assistant"}));
  app.add_option("--modality", modality, "Treat every input as this modality instead of detecting it")
      ->type_name("MODALITY")
      ->check(CLI::IsMember({"text", "code", "image", "video", "audio"}));
  app.add_option("--bundle", bundle, "Model bundle whose tokenizers to use (default: $MM_BUNDLE, then the built-in one)")
      ->type_name("DIR");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    std::vector<Job> jobs;
    for (const auto& t : texts) jobs.push_back({"", t, true});
    for (const auto& p : inputs) jobs.push_back({p, "", false});
    if (jobs.empty()) jobs.push_back({"-", "", false});

    tokenize::TokenizerSet tokenizers(cli::find_bundle(bundle));
    cli::Output out(opt.output, cli::Content::Binary, opt.force);
    stream::Writer writer(out.sink());
    cli::Progress progress("tokenizing", !opt.quiet);
    uint64_t done = 0;
    for (const auto& job : jobs) {
      std::unique_ptr<cli::Input> in;
      std::string head;
      media::Detected detected{"text", ""};
      if (!job.literal) {
        in = std::make_unique<cli::Input>(job.path, false);
        head.resize(64 << 10);
        head.resize(in->source().read(head.data(), head.size()));
        done += head.size();
        if (head.empty() && modality.empty())
          throw Error(in->name() + ": empty input (nothing to tokenize; give --modality text for an empty text)");
        detected = media::detect_modality(in->name(), head);
      }
      if (!modality.empty()) {
        detected.modality = modality;
        if (modality == "code" && detected.language.empty() && in) detected.language = media::language_of(in->name());
      }
      const std::string name = in ? in->name() : "--text";
      if (detected.modality.empty())
        throw Error(name + ": unrecognised content: not UTF-8 text nor a known media format (--modality text tokenizes any bytes)");
      if (detected.modality != "text" && detected.modality != "code")
        throw Error(name + ": " + detected.modality + " tokenization is not available yet");

      const tokenize::BpeTokenizer& bpe = tokenizers.bpe(detected.modality);
      nlohmann::json extra = nlohmann::json::object();
      if (in) extra["source"] = in->name() == "stdin" ? "-" : in->name();
      if (!detected.language.empty()) extra["language"] = detected.language;
      writer.begin_segment(stream::segment_metadata(detected.modality, bpe.id(), bpe.vocab_size(), role, extra.dump()));
      tokenize_text(bpe, in ? &in->source() : nullptr, job.text, std::move(head), writer, progress, done);
      writer.end_segment();
    }
    progress.finish();
    writer.finish();
    out.commit();
  });
}
