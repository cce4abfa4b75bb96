// mm-render: token stream -> files. Text and code segments become their exact bytes.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include "cli/audio_render.h"
#include "cli/bundle.h"
#include "cli/files.h"
#include "cli/movie_sound.h"
#include "cli/program.h"
#include "cli/visual_render.h"
#include "error.h"
#include "media/modality.h"
#include "stream/reader.h"
#include "tokenize/tokenizer_set.h"

namespace {

using namespace mm;

// Where segment `index` goes: stdout, one FILE, a printf pattern (out-%04d.txt) or a
// directory (dir/: 0003-text.txt).
class Destination {
 public:
  Destination(std::string output, bool force) : output_(std::move(output)), force_(force) {
    if (cli::is_standard_stream(output_)) return;
    struct stat st;
    directory_ = output_.back() == '/' || (::stat(output_.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
    pattern_ = output_.find('%') != std::string::npos;
    if (directory_ && ::stat(output_.c_str(), &st) != 0 && ::mkdir(output_.c_str(), 0777) != 0)
      throw Error(output_ + ": cannot create the directory");
  }

  std::string path(uint64_t index, const std::string& extension) {
    if (directory_) {
      char name[64];
      std::snprintf(name, sizeof name, "%04llu", static_cast<unsigned long long>(index));
      return output_ + (output_.back() == '/' ? "" : "/") + name + extension;
    }
    if (pattern_) {
      char name[4096];
      std::snprintf(name, sizeof name, output_.c_str(), int(index));
      return name;
    }
    if (++files_ > 1)
      throw UsageError(output_ + ": the stream has several segments to render; give a pattern (out-%04d.txt) or a directory (out/)");
    return output_;
  }

  bool to_stdout() const { return cli::is_standard_stream(output_); }
  // One FILE: it is committed only at the end, so a second segment leaves nothing behind.
  bool single_file() const { return !to_stdout() && !directory_ && !pattern_; }
  bool force() const { return force_; }

 private:
  std::string output_;
  bool force_;
  bool directory_ = false, pattern_ = false;
  int files_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("mm-render", "Turn a token stream (.mmt) back into files: text, code, images (PNG, JPEG, WebP), video (MP4, GIF).",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose);
  std::string input = "-", bundle;
  long long only = -1;
  auto& app = program.app();
  app.add_option("INPUT", input, "The stream to render ('-' or none: stdin)")->type_name("FILE");
  app.add_option("--segment", only, "Render only segment N (counting from 0)")->type_name("N")->check(CLI::NonNegativeNumber);
  app.add_option("--bundle", bundle, "Model bundle whose tokenizers to use (default: $MM_BUNDLE, then the built-in one)")
      ->type_name("DIR");
  std::string format;
  int quality = 0;
  app.add_option("--format", format,
                 "Images: png, jpeg or webp; video: mp4 or gif (default: from the file name, else png and mp4)")
      ->type_name("FORMAT");
  int sample_rate = 0;
  app.add_option("--sample-rate", sample_rate, "Sound: write at this rate in Hz (default: the source's, exact to its sample)")
      ->type_name("HZ")
      ->check(CLI::Range(8000, 192000));
  app.add_option("--quality", quality, "JPEG: quantiser 2 (best) to 31; WebP: 0 to 100 (default: 3 and 90)")
      ->type_name("N")
      ->check(CLI::Range(0, 100));
  program.app().get_option("--output")->description(
      "Where to write: FILE for one segment, a pattern with %d (out-%04d.txt) or a directory (out/) for several; "
      "default: text and images to stdout");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    tokenize::TokenizerSet tokenizers(cli::find_bundle(bundle));
    cli::Input in(input);
    stream::Reader reader(in.source());
    Destination destination(opt.output, opt.force);
    std::unique_ptr<cli::Output> stdout_output;
    if (destination.to_stdout()) stdout_output = std::make_unique<cli::Output>("-", cli::Content::Text, opt.force);

    std::unique_ptr<cli::Output> file;
    const tokenize::BpeTokenizer* bpe = nullptr;
    const bool sound_format = format == "wav" || format == "flac";
    cli::VisualRenderer visual(tokenizers, sound_format ? "" : format, quality, opt.force);
    cli::AudioRenderer sound(tokenizers, sound_format ? format : "", sample_rate, opt.force);
    const bool gif = format == "gif" || (opt.output.size() > 4 && opt.output.compare(opt.output.size() - 4, 4, ".gif") == 0);
    cli::MovieSound movie_sound(sound, visual, !gif);
    bool visual_segment = false, sound_segment = false;
    uint64_t index = 0;
    bool selected = false;
    try {
      for (stream::Event e; (e = reader.next()) != stream::Event::Eof;) {
        switch (e) {
          case stream::Event::SegmentBegin: {
            const auto& segment = reader.segment();
            selected = only < 0 || uint64_t(only) == index;
            if (!selected) break;
            visual_segment = cli::VisualRenderer::handles(segment.modality);
            sound_segment = cli::AudioRenderer::handles(segment.modality);
            if (sound_segment) {
              try {
                sound.begin(segment, [&](const std::string& extension) {
                  return destination.to_stdout() ? std::string() : destination.path(index, extension);
                });
              } catch (const UsageError&) {
                throw;
              } catch (const Error& e) {
                throw Error("segment " + std::to_string(index) + ": " + e.what());
              }
              break;
            }
            if (visual_segment) {
              try {
                visual.begin(segment, [&](const std::string& extension) {
                  return destination.to_stdout() ? std::string() : destination.path(index, extension);
                });
                if (segment.modality == "video") movie_sound.video_began(segment.json);
              } catch (const UsageError&) {
                throw;
              } catch (const Error& e) {
                throw Error("segment " + std::to_string(index) + ": " + e.what());
              }
              break;
            }
            if (segment.modality != "text" && segment.modality != "code")
              throw Error("segment " + std::to_string(index) + ": rendering " + segment.modality +
                          " is not available yet");
            bpe = &tokenizers.bpe(segment.modality);
            if (bpe->id() != segment.tokenizer)
              throw Error("segment " + std::to_string(index) + " was made by tokenizer " + segment.tokenizer +
                          ", but the bundle's " + segment.modality + " tokenizer is " + bpe->id());
            if (!destination.to_stdout()) {
              auto meta = nlohmann::json::parse(segment.json);
              std::string language = meta.value("language", std::string());
              std::string extension = segment.modality == "code" ? media::extension_of_language(language) : ".txt";
              file = std::make_unique<cli::Output>(destination.path(index, extension), cli::Content::Text,
                                                   destination.force());
            }
            break;
          }
          case stream::Event::Tokens:
            if (selected && sound_segment) {
              sound.codes(reader.tokens());
            } else if (selected && visual_segment) {
              visual.codes(reader.tokens());
            } else if (selected) {
              std::string bytes = bpe->decode(reader.tokens());
              (file ? file : stdout_output)->sink().write(bytes.data(), bytes.size());
            }
            break;
          case stream::Event::SegmentEnd:
            if (selected && visual_segment) visual.end(destination.single_file());
            if (selected && sound_segment) sound.end(destination.single_file());
            if (selected && file && !destination.single_file()) {
              file->commit();
              if (opt.verbose) cli::warn(program.name(), "wrote " + file->name());
              file.reset();
            }
            ++index;
            break;
          default:
            break;
        }
      }
    } catch (const FormatError& e) {
      throw Error(in.name() + ": " + e.what());
    }
    if (only >= 0 && uint64_t(only) >= index)
      throw UsageError("--segment " + std::to_string(only) + ": the stream has " + std::to_string(index) + " segments");
    for (const auto& name : visual.finish())  // first: a video takes its sound before it is committed
      if (opt.verbose) cli::warn(program.name(), "wrote " + name);
    for (const auto& name : sound.finish())
      if (opt.verbose) cli::warn(program.name(), "wrote " + name);
    if (stdout_output) stdout_output->commit();
    if (file) {
      file->commit();
      if (opt.verbose) cli::warn(program.name(), "wrote " + file->name());
    }
  });
}
