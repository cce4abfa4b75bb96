// A classical solver for the corpus's tasks: the world's own perception (perceive()) and
// renderer answer every prompt that needs no speech. It gives mm-score a baseline and an
// end-to-end check made from the prompts alone, never from the reference answers: captions
// are parsed and laid out afresh on the grid, edits and questions are matched against
// what the pixels show.
#pragma once

#include <optional>
#include <string>

#include "world/scene.h"

namespace mm::world {

// The scene a caption describes (the grammar of language.h), laid out with every object at
// the centre of a cell; motion sentences after a ';' set the motion ("... ; the red circle
// moves quickly to the left"). Nothing when the text is not in the grammar or no layout
// satisfies it.
std::optional<Scene> scene_of_caption(const std::string& text);

struct SolveReport {
  size_t tasks = 0, answered = 0;  // answered: every turn's output written (not speech tasks)
};

// Answers every task of a manifest into `directory`, one file per turn named by its
// "output". Throws mm::Error for an unreadable manifest or input file.
SolveReport solve_manifest(const std::string& manifest, const std::string& directory, int size);

}  // namespace mm::world
