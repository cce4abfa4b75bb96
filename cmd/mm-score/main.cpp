// mm-score: per-task accuracy of a model's outputs on an mm-world corpus, by classical
// measures (see mm-score(1)).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "cli/files.h"
#include "cli/program.h"
#include "error.h"
#include "world/corpus.h"
#include "world/score.h"

int main(int argc, char** argv) {
  using namespace mm;
  cli::Program program("mm-score",
                       "Score a model's outputs against an mm-world manifest: per-task accuracy by colour "
                       "segmentation, shape measures and exact text checks.",
                       cli::kOutput | cli::kForce | cli::kQuiet | cli::kVerbose | cli::kJson);
  world::ScoreOptions options;
  std::string task_list;
  auto& app = program.app();
  app.add_option("MANIFEST", options.manifest, "The corpus manifest (manifest.jsonl from mm-world)")
      ->type_name("FILE")->required();
  app.add_option("OUTPUTS", options.outputs, "Directory holding each turn's output, named as its \"output\" field")
      ->type_name("DIR");
  app.add_flag("--reference", options.reference,
               "Score the corpus's own reference answers instead of OUTPUTS (a check of the scorer)");
  app.add_option("--tasks", task_list, "Only these tasks, comma-separated")->type_name("LIST");
  std::string against;
  app.add_option("--against", against,
                 "Also score this directory of another run's outputs and compare the two task by task: how many "
                 "tasks each scores higher on, and the sign test's p")
      ->type_name("DIR");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    for (size_t start = 0; start < task_list.size();) {  // comma-separated
      size_t end = std::min(task_list.find(',', start), task_list.size());
      if (end > start) options.only_tasks.push_back(task_list.substr(start, end - start));
      start = end + 1;
    }
    for (const auto& t : options.only_tasks)
      if (std::find(world::task_names().begin(), world::task_names().end(), t) == world::task_names().end())
        throw UsageError("--tasks: unknown task '" + t + "'");
    if (options.outputs.empty() == !options.reference)
      throw UsageError(options.reference ? "--reference scores the corpus itself: give no OUTPUTS"
                                         : "give the OUTPUTS directory (or --reference)");
    auto report = world::score_manifest(options);
    world::Report other;
    std::map<std::string, world::PairedTally> paired;
    if (!against.empty()) {
      world::ScoreOptions other_options = options;
      other_options.outputs = against;
      other_options.reference = false;
      other = world::score_manifest(other_options);
      paired = world::compare_reports(report, other);
    }
    cli::Output out(opt.output, cli::Content::Text, opt.force);
    std::string text;
    // Tasks in the manifest's order of kinds, then any others by name.
    std::vector<std::string> order;
    for (const auto& t : world::task_names())
      if (report.tasks.count(t)) order.push_back(t);
    for (const auto& [t, tally] : report.tasks)
      if (std::find(order.begin(), order.end(), t) == order.end()) order.push_back(t);
    if (opt.json) {
      nlohmann::json tasks = nlohmann::json::object();
      for (const auto& t : order) {
        const auto& tally = report.tasks[t];
        tasks[t] = {{"tasks", tally.tasks}, {"scored", tally.scored}, {"missing", tally.missing}};
        tasks[t]["accuracy"] = tally.scored ? nlohmann::json(tally.accuracy()) : nlohmann::json();
        if (tally.scored) {
          const auto [low, high] = tally.interval();
          tasks[t]["interval"] = {low, high};
        }
        if (t == "transcribe_speech") tasks[t]["metric"] = "word accuracy";
        if (paired.count(t)) {
          const auto& p = paired[t];
          const auto& there = other.tasks[t];
          tasks[t]["against"] = {{"accuracy", there.scored ? nlohmann::json(there.accuracy()) : nlohmann::json()},
                                 {"paired", p.paired},
                                 {"better", p.better},
                                 {"worse", p.worse},
                                 {"p", p.p_value}};
        }
      }
      nlohmann::json failures = nlohmann::json::array();
      for (const auto& f : report.failures) failures.push_back({{"id", f.id}, {"reason", f.reason}});
      nlohmann::json j = {{"manifest", options.manifest}, {"tasks", tasks}, {"failures", failures}};
      if (!against.empty()) j["against"] = against;
      text = j.dump() + "\n";
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%-18s %7s %7s %7s %9s %13s\n", "task", "tasks", "scored", "missing", "accuracy",
                    "95% interval");
      text += line;
      for (const auto& t : order) {
        const auto& tally = report.tasks[t];
        if (tally.scored) {
          const auto [low, high] = tally.interval();
          std::snprintf(line, sizeof line, "%-18s %7zu %7zu %7zu %9.3f   %.3f-%.3f%s\n", t.c_str(), tally.tasks,
                        tally.scored, tally.missing, tally.accuracy(), low, high,
                        t == "transcribe_speech" ? "  (word accuracy)" : "");
        } else {
          std::snprintf(line, sizeof line, "%-18s %7zu %7zu %7zu %9s %13s%s\n", t.c_str(), tally.tasks, tally.scored,
                        tally.missing, "-", "-", t == "speak_caption" ? "  (not scored: no classical recogniser)" : "");
        }
        text += line;
      }
      if (!against.empty()) {
        text += "\nagainst " + against + " (better, worse: tasks scored higher, lower than there):\n";
        std::snprintf(line, sizeof line, "%-18s %7s %9s %9s %7s %7s %12s\n", "task", "paired", "accuracy", "there",
                      "better", "worse", "sign test p");
        text += line;
        for (const auto& t : order) {
          if (!paired.count(t)) continue;
          const auto& p = paired[t];
          std::snprintf(line, sizeof line, "%-18s %7zu %9.3f %9.3f %7zu %7zu %12.4f\n", t.c_str(), p.paired,
                        report.tasks[t].accuracy(), other.tasks[t].accuracy(), p.better, p.worse, p.p_value);
          text += line;
        }
      }
      if (opt.verbose)
        for (const auto& f : report.failures) text += "wrong: " + f.id + ": " + f.reason + "\n";
    }
    out.sink().write(text.data(), text.size());
    out.commit();
  });
}
