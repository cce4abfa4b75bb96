// Training examples: token streams mapped to the backbone's ids with the bundle's layout,
// with a flag per id saying whether the loss scores it. Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "generate/layout.h"

namespace mm::train {

struct Example {
  std::vector<uint32_t> ids;     // <|bos|> ... <|end_turn|>, as SequenceBuilder lays them out
  std::vector<uint8_t> scored;   // 1: predicting this id counts in the loss
};

struct ExampleSet {
  std::vector<Example> examples;
  uint64_t ids = 0, scored = 0;  // totals
  uint64_t hash = 0;             // over every example's ids and flags, in order: names the data
};

// Which turns the loss scores. Answers only (the default) masks system and user turns, so
// the model learns to answer rather than to predict prompts; segments without a role
// (plain streams) are scored either way.
enum class Scored { Answers, All };

// What one example is: a whole file (a conversation whose turns may be members written
// one after another: cat user.mmt assistant.mmt), or each member of a stream (a corpus of
// conversations packed into one file, each one member with its turns as roles).
enum class ExampleUnit { File, Member };

// One view of a pair: a segment laid out alone, as mm-encode lays out a stream of that one
// segment, and the positions its embedding pools over (mm-encode --embeddings: the codes and
// breaks between the segment's begin and end markers).
struct View {
  std::vector<uint32_t> ids;
  uint32_t from = 0, to = 0;
};

// Two views of one thing (an image and its caption) whose embeddings the contrastive loss
// draws together and apart from the other pairs' (mm-train --pairs).
// Pairs come in groups, one per stream member: a group's pairs are trained in the same step,
// so that each is the others' negative (a scene and its twins, mm-world --twins).
struct PairSet {
  std::vector<std::pair<View, View>> pairs;
  std::vector<size_t> group_starts;  // the index of each group's first pair, ascending
  uint64_t hash = 0;  // over every view's ids, in order, and the groups of more than one: names the data
};

// Reads every stream file (a directory: its *.mmt files, sorted by name) into examples.
// Every segment's tokenizer must be the one the bundle at `bundle_dir` names for its
// modality. Throws mm::Error naming the file and segment at fault, or when there are none.
ExampleSet load_examples(const std::vector<std::string>& paths, const std::string& bundle_dir,
                         const generate::Layout& layout, Scored scored, ExampleUnit unit);

// Reads pairs: every member of every stream holds two segments, the two views, or 2k
// segments, a group of k pairs (view, view, view, view, ...). Roles are ignored: each view is
// laid out alone, as mm-encode sees it. The same tokenizer checks as load_examples. Throws
// mm::Error naming the file and member at fault.
PairSet load_pairs(const std::vector<std::string>& paths, const std::string& bundle_dir, const generate::Layout& layout);

}  // namespace mm::train
