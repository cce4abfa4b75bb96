// The classical scorer: checks a model's outputs (images, videos, drawing code, text)
// against the scene a prompt was made from, and accumulates per-task accuracy over a corpus
// manifest, in the spirit of GenEval. Deterministic, no learning.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "media/image.h"
#include "world/scene.h"

namespace mm::world {

struct Verdict {
  double score = 0;    // 1 right, 0 wrong; word accuracy for transcripts
  std::string reason;  // why not, for a person: "missing the blue square"
};

enum class Placement {
  Relations,  // only what a caption says: the relation of each object to the next, or the
              // grid cell of a lone object
  Positions,  // every centre within kPositionTolerance world units (code, edits)
};
constexpr double kPositionTolerance = 6;

// The image shows exactly the truth's objects (colour, shape, size), placed as asked.
Verdict check_image(const media::Image& image, const Scene& truth, Placement placement);
// The first frame shows the scene (relations), and each object moves as the truth says:
// direction from the larger axis of its travel, slow or fast from its length.
Verdict check_video(const std::vector<media::Image>& frames, const Scene& truth);
// The code parses and draws exactly the truth's objects within the position tolerance.
Verdict check_code(const std::string& code, const Scene& truth);
// Exact after normalize(): captions, motion descriptions, answers.
Verdict check_text(const std::string& text, const std::string& reference);
Verdict check_transcript(const std::string& text, const std::string& reference);

struct TaskTally {
  size_t tasks = 0, missing = 0, scored = 0;
  double total = 0;    // sum of scores over scored tasks
  double squares = 0;  // sum of their squares
  bool fractional = false;  // a score strictly between 0 and 1 was seen (word accuracy)
  void add(double score) {  // one scored task (counted in `tasks` apart: some are not scored)
    ++scored, total += score, squares += score * score;
    fractional = fractional || (score > 0 && score < 1);
  }
  double accuracy() const { return scored ? total / double(scored) : 0.0; }
  // A 95% interval for the accuracy the same model would reach on unlimited held-out scenes
  // like these: Wilson's score interval when every score is 0 or 1 (right at 0 and 1,
  // where the normal one collapses), else the normal one from the scores' own spread,
  // clamped to [0, 1]. 50 scenes at 0.5 give about +-0.14: differences smaller than that
  // between two runs are not yet differences.
  std::pair<double, double> interval() const;
};

struct Failure {
  std::string id, reason;
};

struct Report {
  std::map<std::string, TaskTally> tasks;  // by task name
  std::vector<Failure> failures;
  std::map<std::string, std::pair<std::string, double>> scores;  // task id -> its task's name, its score
};

// Two runs' answers to the same tasks, task by task: where one scores higher than the other.
// Accuracies that differ by less than their intervals can still differ reliably when one
// run wins most of the tasks on which the two disagree; the sign test says how surely.
struct PairedTally {
  size_t paired = 0;        // tasks both runs answered (scored, in both reports)
  size_t better = 0;        // of which the first run scored higher
  size_t worse = 0;         // and lower
  double p_value = 1;       // two-sided exact sign test over better + worse (ties dropped)
};
std::map<std::string, PairedTally> compare_reports(const Report& first, const Report& second);
// P(a split at least as uneven as better:worse | each disagreement a fair coin), two-sided.
double sign_test(size_t better, size_t worse);

struct ScoreOptions {
  std::string manifest;     // corpus manifest.jsonl
  std::string outputs;      // directory of outputs named by each turn's "output"
  bool reference = false;   // score the corpus's own reference answers instead
  std::vector<std::string> only_tasks;  // empty: every task
};

// Reads the manifest and scores every task; a missing output scores 0 and is counted.
Report score_manifest(const ScoreOptions& options);

}  // namespace mm::world
