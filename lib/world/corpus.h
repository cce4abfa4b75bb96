// The corpus: for each scene of a (seed, index) range, its files (image, video, speech,
// edited images) and one manifest line per task, mixing the directions between modalities.
// The same range gives byte-identical files and manifest lines.
//
// A manifest line (JSON):
//   {"id":"s0-000007.edit_image","task":"edit_image","scene":"s0-000007","seed":0,
//    "index":7,"held_out":true,"turns":[{"user":[{"image":"s0-000007/image.png"},
//    {"text":"make the red circle green"}],"assistant":{"image":"s0-000007/edit-1.png"},
//    "output":"s0-000007.edit_image.1.png","truth":{...scene...}}, ...]}
// Parts are {"text"}, {"code"} (the drawing language), {"image"}, {"video"} or {"audio"}
// (paths relative to the manifest). "output" is where mm-score looks for a model's answer
// to that turn; "truth" is the scene the answer must show.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "world/language.h"
#include "world/scene.h"

namespace mm::world {

// The task names, in manifest order.
const std::vector<std::string>& task_names();

// Which twins follow each scene (mm-world --twins): scenes of their own, each differing from
// the scene in one way, hard negatives for a contrastive loss.
struct TwinKinds {
  bool placed = false;  // ID-placed: placement_twin
  bool edited = false;  // ID-edited: the scene after its edit_image task's first edit
  bool added = false;   // ID-added: object_added (none for a scene of three)
};

struct CorpusOptions {
  std::string directory;  // created if missing; files go in DIRECTORY/SCENE-ID/
  uint64_t seed = 0, first = 0, count = 1;
  int size = 64;                    // image and video side, pixels
  std::vector<std::string> tasks;   // empty: all
  int threads = 1;                  // scenes made at once; 0: one per core (same bytes either way)
  TwinKinds twins;                  // after each scene, these twins of it
};

// Writes the scenes' files and calls `line` with each manifest line (no newline), in order.
// Throws mm::Error (espeak-ng missing, a file that cannot be written), mm::UsageError for an
// unknown task.
void write_corpus(const CorpusOptions& options, const std::function<void(const std::string&)>& line);

// What a scene's tasks choose: the question answer_question asks, the two edits edit_image
// asks for. They come from a stream of their own, so adding a task never changes another
// task's choice.
struct TaskChoices {
  Question question;
  Edit first_edit, second_edit;
};
TaskChoices task_choices(uint64_t seed, const Scene& scene);

// A scene's twins of the kinds asked for, in the order they follow it: each its scene id's
// suffix ("-placed", "-edited", "-added") and the twin.
std::vector<std::pair<std::string, Scene>> twins_of(uint64_t seed, const Scene& scene, const TwinKinds& kinds);

// Speaks `text` into a WAV file through espeak-ng (a subprocess, no shell).
void speak(const std::string& text, const std::string& wav_path);

}  // namespace mm::world
