// The classical scorer: checks a model's outputs (images, videos, drawing code, text)
// against the scene a prompt was made from, and accumulates per-task accuracy over a corpus
// manifest, in the spirit of GenEval. Deterministic, no learning.
#pragma once

#include <map>
#include <string>
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
  double total = 0;  // sum of scores over scored tasks
};

struct Failure {
  std::string id, reason;
};

struct Report {
  std::map<std::string, TaskTally> tasks;  // by task name
  std::vector<Failure> failures;
};

struct ScoreOptions {
  std::string manifest;     // corpus manifest.jsonl
  std::string outputs;      // directory of outputs named by each turn's "output"
  bool reference = false;   // score the corpus's own reference answers instead
  std::vector<std::string> only_tasks;  // empty: every task
};

// Reads the manifest and scores every task; a missing output scores 0 and is counted.
Report score_manifest(const ScoreOptions& options);

}  // namespace mm::world
