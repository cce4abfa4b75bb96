// The world's English: captions, motion descriptions, questions with their answers and
// edit instructions, each a deterministic function of the scene (one grammar, no synonyms,
// so "caption an image" has exactly one right answer).
//
// Captions name the objects in the canonical order (by shape, then colour), chaining the
// relation of each to the next: "a small red circle above a blue square, and the blue
// square to the left of a large green triangle". Medium is the unmarked size. One object
// is placed on the 3x3 grid instead: "a large yellow triangle at the top left".
#pragma once

#include <string>
#include <vector>

#include "world/scene.h"

namespace mm::world {

std::string caption(const Scene& scene);
// "the red circle moves quickly to the left", or "nothing moves".
std::string motion_sentence(const Scene& scene);

// "a small red circle", "an orange square" (indefinite); "the red circle" (definite).
std::string noun_phrase(const Object& object);
std::string definite(const Object& object);
// Where a lies relative to b from their centres: "above", "to the left of", "below and to
// the right of"; rows and columns differ when the centres are more than half a cell apart.
std::string relation(double ax, double ay, double bx, double by);
// "at the top left", "in the middle", ...: the grid cell of a lone object.
std::string region(double x, double y);

struct Question {
  std::string question, answer;
  bool needs_video = false;  // asks about motion
};
// Every question the grammar can ask about the scene, in a fixed order.
std::vector<Question> questions(const Scene& scene);

struct Edit {
  std::string instruction;  // "make the red circle green", "remove the blue square", ...
  Scene result;             // still: edits act on images
};
// Every edit the grammar allows on the scene, in a fixed order: recolour to a colour not in
// the scene, resize, move to an empty neighbouring cell, remove (when more than one).
std::vector<Edit> edits(const Scene& scene);

// Lower case, punctuation dropped, single spaces: how answers are compared.
std::string normalize(const std::string& text);
// 1 - word error rate (Levenshtein over words of the normalized texts), at least 0.
double word_accuracy(const std::string& reference, const std::string& hypothesis);

}  // namespace mm::world
