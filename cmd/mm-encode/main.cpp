// mm-encode: runs the backbone over a stream once and writes it through with tensors added:
// a pooled embedding per segment, and/or the KV state for later programs.
#include <CLI/CLI.hpp>

#include "cli/bundle.h"
#include "cli/files.h"
#include "cli/program.h"
#include "error.h"
#include "generate/layout.h"
#include "model/backbone.h"
#include "model/bundle.h"
#include "model/encoder.h"
#include "stream/reader.h"
#include "stream/writer.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-encode",
                       "Run the model over a token stream once: add a pooled embedding to each segment and/or save "
                       "the KV state.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kThreads | cli::kDevice);
  std::string input = "-", bundle, dtype = "f32";
  model::EncodeOptions options;
  auto& app = program.app();
  app.add_option("INPUT", input, "The stream to encode ('-' or none: stdin)")->type_name("FILE");
  app.add_flag("--embeddings", options.embeddings,
               "Add to each segment a tensor 'embedding': the mean of the model's final hidden states over the "
               "segment's positions, L2-normalised (f32, hidden size)");
  app.add_option("--state", options.state_path,
                 "Save the KV state of the whole sequence to FILE, so that mm-generate and mm-describe --state skip "
                 "the prefill")
      ->type_name("FILE");
  app.add_option("--capacity", options.capacity,
                 "The most ids the sequence may hold (default: the model's positions, at most 16384)")
      ->type_name("N")
      ->check(CLI::Range(size_t(1), size_t(1) << 24));
  app.add_option("--dtype", dtype, "Compute dtype: f32, bf16 or f16")->check(CLI::IsMember({"f32", "bf16", "f16"}));
  app.add_option("--bundle", bundle, "Model bundle (default: $MM_BUNDLE, then the built-in one)")->type_name("DIR");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    if (!options.embeddings && options.state_path.empty())
      throw UsageError("nothing to do: give --embeddings, --state FILE or both");
    const std::string dir = cli::find_bundle(bundle);
    auto config = model::BundleConfig::load(dir);
    if (config.layout_json.empty()) throw Error(dir + ": the bundle's config has no \"layout\"");
    const generate::Layout layout = generate::Layout::from_json(config.layout_json);
    if (layout.vocab_size() > config.backbone.vocab_size)
      throw Error(dir + ": the layout uses " + std::to_string(layout.vocab_size()) + " ids, the backbone has " +
                  std::to_string(config.backbone.vocab_size));
    model::Backbone backbone(dir, model::RunOptions{opt.device, dtype, opt.threads});
    cli::Input in(input);
    stream::Reader reader(in.source());
    cli::Output out(opt.output, cli::Content::Binary, opt.force);
    stream::Writer writer(out.sink());
    try {
      model::encode_stream(backbone, layout, reader, writer, options);
    } catch (const FormatError&) {
      throw;
    } catch (const BrokenPipe&) {
      throw;
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw Error(in.name() + ": " + e.what());
    }
    writer.finish();
    out.commit();
  });
}
