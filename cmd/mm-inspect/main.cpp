// mm-inspect: summarise, validate, dump and re-pack token streams.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/files.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "error.h"
#include "stream/dump.h"
#include "stream/summary.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-inspect", "Summarise, validate, dump or re-pack an mm token stream (.mmt).",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kJson);
  std::string input = "-";
  bool validate = false, dump = false, pack = false;
  auto& app = program.app();
  app.add_option("INPUT", input, "The stream to read ('-' or none: stdin); with --pack, the text form")
      ->type_name("FILE");
  auto* validate_flag = app.add_flag("--validate", validate,
                                     "Check everything (checksums, structure, limits, end record); "
                                     "exit 1 naming the byte offset of the first fault");
  auto* dump_flag = app.add_flag("--dump", dump, "Print the lossless text form of the stream (see mmt(5))");
  auto* pack_flag =
      app.add_flag("--pack", pack, "Read the text form and write the stream it describes (the inverse of --dump)");
  validate_flag->excludes(dump_flag)->excludes(pack_flag);
  dump_flag->excludes(pack_flag);

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    if (pack) {
      cli::Input in(input, false);
      cli::Output out(opt.output, cli::Content::Binary, opt.force);
      try {
        stream::pack(in.source(), out.sink());
      } catch (const BrokenPipe&) {
        throw;
      } catch (const Error& e) {
        throw Error(in.name() + ": " + e.what());
      }
      out.commit();
      return;
    }
    cli::Input in(input);
    stream::Reader reader(in.source());
    cli::Output out(opt.output, cli::Content::Text, opt.force);
    cli::Progress progress(validate ? "validating" : "reading", !opt.quiet && !dump);
    auto report = [&](uint64_t bytes, uint64_t tokens) { progress.update(bytes, tokens); };
    try {
      if (dump) {
        stream::dump(reader, out.sink());
      } else if (validate) {
        stream::StreamSummary s;
        try {
          s = stream::summarize(reader, nullptr, report);
        } catch (const FormatError& e) {
          progress.finish();
          if (!opt.json) throw;
          nlohmann::json j = {{"input", in.name()}, {"valid", false}, {"offset", e.offset()}, {"error", e.reason()}};
          std::string text = j.dump() + "\n";
          out.sink().write(text.data(), text.size());
          out.commit();
          throw Error(in.name() + ": " + e.what());
        }
        progress.finish();
        std::string text;
        if (opt.json)
          text = nlohmann::json({{"input", in.name()}, {"valid", true}, {"bytes", s.bytes}, {"members", s.members},
                                 {"segments", s.segments}, {"tokens", s.tokens}})
                     .dump() + "\n";
        else if (!opt.quiet)
          text = in.name() + ": ok: " + std::to_string(s.members) + " stream" + (s.members == 1 ? "" : "s") + ", " +
                 std::to_string(s.segments) + " segments, " + std::to_string(s.tokens) + " tokens, " +
                 std::to_string(s.bytes) + " bytes\n";
        out.sink().write(text.data(), text.size());
      } else {
        auto writer = opt.json ? stream::json_summary(out.sink(), in.name())
                               : stream::text_summary(out.sink(), in.name(), opt.verbose > 0);
        stream::summarize(reader, writer.get(), report);
        progress.finish();
      }
    } catch (const FormatError& e) {
      progress.finish();
      throw Error(in.name() + ": " + e.what());
    }
    out.commit();
  });
}
