// mm-tokenize: media -> token stream. Each input becomes a segment, in order.
#include <CLI/CLI.hpp>
#include <thread>
#include <nlohmann/json.hpp>

#include "cli/bundle.h"
#include "cli/files.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "error.h"
#include "media/image_io.h"
#include "media/modality.h"
#include "media/resize.h"
#include "stream/segment.h"
#include "stream/writer.h"
#include "tokenize/audio_segments.h"
#include "tokenize/movie_segments.h"
#include "tokenize/tokenizer_set.h"
#include "tokenize/visual_input.h"

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
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kThreads);
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
  tokenize::VisualOptions visual;
  std::string size = "256", fit = "pad";
  bool keep_going = false;
  app.add_option("--size", size, "Images and video: N (the long side, keeping the aspect, never enlarging) or WxH (exactly; see --fit)")
      ->type_name("SIZE")
      ->capture_default_str();
  app.add_option("--fit", fit, "With --size WxH: pad (scale to fit inside, pad the rest) or crop (scale to cover, cut the overflow)")
      ->type_name("HOW")
      ->check(CLI::IsMember({"pad", "crop"}))
      ->capture_default_str();
  app.add_option("--levels", visual.levels, "Images and video: residual levels, codes per patch (0: all the codebook has for images, 1 for video)")
      ->type_name("N")
      ->check(CLI::Range(0, 8));
  app.add_option("--fps", visual.fps, "Video: frames per second to tokenize (0: every frame of the source)")
      ->type_name("RATE")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  app.add_option("--start", visual.start, "Video and audio: start this many seconds in")->type_name("SECONDS")->check(CLI::NonNegativeNumber);
  app.add_option("--duration", visual.duration, "Video and audio: tokenize this many seconds (default: to the end)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-frames", visual.max_frames, "Video: stop after N frames")->type_name("N")->check(CLI::NonNegativeNumber);
  app.add_option("--reuse-below", visual.reuse_below,
                 "Video: a patch that changed by at most this mean squared error per sample since the frame before "
                 "keeps its codes without a search (negative: search every patch)")
      ->type_name("MSE")
      ->capture_default_str();
  bool no_audio = false, no_video = false;
  app.add_flag("--no-audio", no_audio, "Video: leave its sound out (by default it is interleaved with the frames, second by second)");
  app.add_flag("--no-video", no_video, "Video: keep only its sound (audio segments)");
  app.add_flag("--keep-going", keep_going,
               "Damaged or truncated video or sound: keep what decodes and succeed (the loss is still reported on stderr)");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    visual.size = media::parse_size(size);
    visual.size.fit = media::parse_fit(fit);
    visual.threads = opt.threads > 0 ? opt.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    visual.role = role;
    std::string damage;  // what was lost from damaged videos, reported at the end
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
      if (no_video && no_audio) throw UsageError("--no-video and --no-audio leave nothing to tokenize");
      // Sound in a video container (.m4a, .mka) is detected as video: it is sound.
      if (detected.modality == "video" && in->name() != "stdin" && modality.empty() &&
          !tokenize::has_pictures(in->name()) && tokenize::has_sound(in->name()))
        detected.modality = "audio";
      if (detected.modality == "audio" || (detected.modality == "video" && no_video)) {
        if (in->name() == "stdin") throw Error("stdin: audio must be a file (the decoders need to seek in it)");
        tokenize::AudioSegmentSettings sound;
        sound.start = visual.start;
        sound.duration = visual.duration;
        sound.role = role;
        sound.source = in->name();
        tokenize::AudioSegmenter segmenter(in->name(), tokenizers.audio(), writer, sound);
        segmenter.write_all();
        if (segmenter.source_samples() == 0)
          throw Error(name + ": no sound to tokenize" + (visual.start > 0 ? " after --start" : ""));
        if (segmenter.damaged_packets() > 0 || segmenter.truncated()) {
          if (segmenter.damaged_packets() > 0)
            cli::warn(program.name(), name + ": " + std::to_string(segmenter.damaged_packets()) + " damaged packets skipped");
          if (segmenter.truncated()) cli::warn(program.name(), name + ": " + segmenter.describe_truncation());
          if (!keep_going) damage += (damage.empty() ? "" : "; ") + name + " is damaged";
        }
        continue;
      }
      if (detected.modality == "image" || detected.modality == "video") {
        const tokenize::ImageTokenizer& vq = tokenizers.vq(detected.modality);
        visual.source = in->name() == "stdin" ? "-" : in->name();
        if (detected.modality == "image") {
          // Images are small: read whole, then decode from memory (stdin works too).
          std::vector<char> block(kReadBlock);
          for (size_t n; (n = in->source().read(block.data(), block.size())) > 0;) {
            head.append(block.data(), n);
            if (head.size() > (size_t(1) << 30)) throw Error(name + ": larger than 1 GiB, not taken as an image");
          }
          tokenize::write_image_segment(media::decode_image(head, name), vq, writer, visual);
        } else {
          if (in->name() == "stdin") throw Error("stdin: video must be a file (FFmpeg needs to seek in it)");
          visual.progress = [&](int64_t frames) { progress.update(frames, frames); };
          auto report = !no_audio && tokenize::has_sound(in->name())
                            ? tokenize::write_movie_segments(in->name(), vq, tokenizers.audio(), writer, visual)
                            : tokenize::write_video_segments(in->name(), vq, writer, visual);
          if (opt.verbose)
            cli::warn(program.name(), name + ": " + std::to_string(report.frames) + " frames in " +
                                          std::to_string(report.segments) + " segments; " +
                                          std::to_string(report.reused_patches) + " of " +
                                          std::to_string(report.patches) + " patches kept the codes of the frame before");
          if (report.lost()) {
            cli::warn(program.name(), name + ": " + report.describe());
            if (!keep_going) damage += (damage.empty() ? "" : "; ") + name + " is damaged";
          }
        }
        continue;
      }
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
    if (!damage.empty()) throw Error(damage + " (what decoded is not kept; --keep-going keeps it)");
    writer.finish();
    out.commit();
  });
}
