// mm-world: the seeded scene world as a corpus: files for every modality and a manifest of
// tasks (see mm-world(1)).
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "cli/files.h"
#include "cli/program.h"
#include "error.h"
#include "world/corpus.h"
#include "world/drawing.h"
#include "world/language.h"
#include "world/scene.h"
#include "world/solve.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-world", "Write a deterministic corpus of shape scenes: images, videos, speech, captions, "
                                   "drawing code, edits and questions, with a manifest of tasks.",
                       cli::kForce | cli::kQuiet | cli::kVerbose | cli::kSeed | cli::kThreads);
  std::string directory, split = "any";
  uint64_t first = 0, count = 10;
  int size = 64;
  std::vector<std::string> tasks;
  bool describe = false;
  std::vector<std::string> twins;
  std::string solve;
  std::string task_list;
  auto& app = program.app();
  app.add_option("DIR", directory, "Directory to write: DIR/manifest.jsonl and one folder of files per scene")
      ->type_name("DIR");
  app.add_option("--first", first, "Index of the first scene (default 0)")->type_name("N");
  app.add_option("--count", count, "How many scenes (default 10)")->type_name("N")->check(CLI::Range(1, 100000000));
  app.add_option("--size", size, "Side of images and video frames in pixels (default 64)")->type_name("PX")
      ->check(CLI::Range(16, 1024));
  app.add_option("--tasks", task_list, "Only these tasks, comma-separated (default: all; see mm-world(1))")
      ->type_name("LIST");
  app.add_option("--split", split,
                 "train: refuse the held-out scenes (seed 0, indices below 10000); eval: only them; any (default)")
      ->type_name("SPLIT")->check(CLI::IsMember({"train", "eval", "any"}));
  app.get_option("--threads")->description(
      "Scenes made at once (default 1; 0: one per core); with more, an MP4 may differ in a few bytes from one run "
      "to another (x264), every other file is the same");
  app.add_option("--twins", twins,
                 "After each scene, twins of it as scenes of their own, negatives for a contrastive loss that differ "
                 "in one way: placement (ID-placed: the same objects trading places, a lone one mirrored), edit "
                 "(ID-edited: after its edit_image task's first edit), add (ID-added: one object more, in an empty cell; "
                 "none for three); comma-separated")
      ->type_name("KINDS")->delimiter(',')->check(CLI::IsMember({"placement", "edit", "add"}));
  app.add_flag("--describe", describe, "Print each scene (id, caption, motion, code) on stdout; write no files");
  app.add_option("--solve", solve,
                 "Answer MANIFEST's tasks classically (the world's own perception and renderer, no speech) into DIR, "
                 "for mm-score")
      ->type_name("MANIFEST");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    auto wanted = [&](const char* twin) { return std::find(twins.begin(), twins.end(), twin) != twins.end(); };
    const world::TwinKinds twin_kinds{wanted("placement"), wanted("edit"), wanted("add")};
    for (size_t start = 0; start < task_list.size();) {  // comma-separated
      size_t end = std::min(task_list.find(',', start), task_list.size());
      if (end > start) tasks.push_back(task_list.substr(start, end - start));
      start = end + 1;
    }
    if (first > UINT64_MAX - count) throw UsageError("--first plus --count passes the last scene index");
    const uint64_t last = first + count;  // exclusive
    if (split == "train" && opt.seed == world::kHeldOutSeed && first < world::kHeldOutEnd)
      throw UsageError("--split train: seed 0 indices below " + std::to_string(world::kHeldOutEnd) +
                       " are held out for evaluation; start at --first " + std::to_string(world::kHeldOutEnd));
    if (split == "eval" && (opt.seed != world::kHeldOutSeed || last > world::kHeldOutEnd))
      throw UsageError("--split eval: the held-out scenes are seed 0, indices 0 to " +
                       std::to_string(world::kHeldOutEnd - 1));
    if (describe) {
      if (!directory.empty()) throw UsageError("--describe writes no files: give no DIR");
      cli::Output out("-", cli::Content::Text, opt.force);
      auto print = [&](const world::Scene& scene, const std::string& id) {
        std::string text = id + (world::is_held_out(scene.seed, scene.index) ? " (held out)" : "") +
                           "\n  caption: " + world::caption(scene) + "\n  motion: " + world::motion_sentence(scene) +
                           "\n";
        const std::string code = world::to_code(scene.objects);  // one line per object
        for (size_t start = 0, end; (end = code.find('\n', start)) != std::string::npos; start = end + 1)
          text += "  code: " + code.substr(start, end - start) + "\n";
        out.sink().write(text.data(), text.size());
      };
      for (uint64_t index = first; index < last; ++index) {
        const auto scene = world::generate_scene(opt.seed, index);
        const std::string id = world::scene_id(opt.seed, index);
        print(scene, id);
        for (const auto& [suffix, twin] : world::twins_of(opt.seed, scene, twin_kinds)) print(twin, id + suffix);
      }
      out.commit();
      return;
    }
    if (directory.empty()) throw UsageError("give the directory to write (or --describe)");
    if (!solve.empty()) {
      if (!twins.empty()) throw UsageError("--twins makes scenes; --solve answers a manifest's");
      if (::mkdir(directory.c_str(), 0777) != 0 && errno != EEXIST) throw Error(directory + ": cannot create the directory");
      auto report = world::solve_manifest(solve, directory, size);
      if (opt.verbose)
        cli::warn(program.name(), "answered " + std::to_string(report.answered) + " of " +
                                      std::to_string(report.tasks) + " tasks into " + directory);
      return;
    }
    world::CorpusOptions options;
    options.directory = directory;
    options.seed = opt.seed;
    options.first = first;
    options.count = count;
    options.size = size;
    options.tasks = tasks;
    options.threads = program.app().get_option("--threads")->count() ? opt.threads : 1;
    options.twins = twin_kinds;
    if (::mkdir(directory.c_str(), 0777) != 0 && errno != EEXIST) throw Error(directory + ": cannot create the directory");
    // Written to a temporary file and renamed at the end: the manifest appears only when
    // every file it names is in place.
    cli::Output manifest(directory + "/manifest.jsonl", cli::Content::Text, opt.force);
    uint64_t lines = 0;
    world::write_corpus(options, [&](const std::string& line) {
      manifest.sink().write(line.data(), line.size());
      manifest.sink().write("\n", 1);
      ++lines;
    });
    manifest.commit();
    if (opt.verbose)
      cli::warn(program.name(), "wrote " + std::to_string(count) + " scenes, " + std::to_string(lines) + " tasks to " +
                                    manifest.name());
  });
}
