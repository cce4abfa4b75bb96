#include "examples.h"

#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "error.h"
#include "generate/stream_input.h"
#include "cli/files.h"
#include "stream/reader.h"
#include "tokenize/tokenizer_set.h"

namespace fs = std::filesystem;

namespace mm::train {

namespace {

std::vector<std::string> expand(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> inside;
      for (const auto& entry : fs::directory_iterator(path))
        if (entry.is_regular_file() && entry.path().extension() == ".mmt") inside.push_back(entry.path().string());
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

// The bundle's tokenizer id for each modality, loaded once per modality.
class TokenizerIds {
 public:
  explicit TokenizerIds(const std::string& bundle_dir) : set_(bundle_dir) {}
  const std::string& of(const std::string& modality) {
    auto it = ids_.find(modality);
    if (it != ids_.end()) return it->second;
    if (!set_.has(modality)) throw Error("the bundle has no tokenizer for " + modality);
    std::string id;
    if (modality == "text" || modality == "code")
      id = set_.bpe(modality).id();
    else if (modality == "image" || modality == "video")
      id = set_.vq(modality).id();
    else if (modality == "audio")
      id = set_.audio().id();
    else
      throw Error("no tokenizer type for " + modality);
    return ids_[modality] = id;
  }

 private:
  tokenize::TokenizerSet set_;
  std::map<std::string, std::string> ids_;
};

// The segment's modality must be in the layout and tokenized by the bundle's tokenizer.
void check_segment(const stream::SegmentInfo& info, const generate::Layout& layout, TokenizerIds& tokenizers) {
  if (!layout.has(info.modality)) throw Error("the bundle's layout has no code range for " + info.modality);
  const std::string& expected = tokenizers.of(info.modality);
  if (info.tokenizer != expected)
    throw Error("tokenized by " + info.tokenizer + ", the bundle's " + info.modality + " tokenizer is " + expected +
                " (a stream for another bundle?)");
}

bool scored_role(const std::string& role, Scored scored) {
  return scored == Scored::All || role.empty() || role == "assistant";
}

// Appends the stream at `path` to `out`: one example, or one per member.
void read_examples(const std::string& path, const generate::Layout& layout, TokenizerIds& tokenizers, Scored scored,
                   ExampleUnit unit, std::vector<Example>& out) {
  cli::Input input(path);
  stream::Reader reader(input.source());
  size_t member = 0, segment = 0;
  std::unique_ptr<generate::SequenceBuilder> builder;
  Example example;
  std::string previous_turn;
  size_t flagged = 0;
  // Flags for ids appended since the last call: a closing <|end_turn|> belongs to the turn
  // it closes, everything else to the current one. <|bos|> is never predicted.
  auto flag_new = [&] {
    const auto& ids = builder->ids();
    const uint32_t end_turn = layout.marker(generate::Marker::EndTurn);
    for (; flagged < ids.size(); ++flagged) {
      bool closes = ids[flagged] == end_turn && previous_turn != builder->turn();
      example.scored.push_back(flagged > 0 && scored_role(closes ? previous_turn : builder->turn(), scored) ? 1 : 0);
    }
    previous_turn = builder->turn();
  };
  auto finish = [&] {
    if (!builder) return;
    builder->open_turn("");  // closes the last turn: the model learns to end its answer
    flag_new();
    example.ids = builder->ids();
    out.push_back(std::move(example));
    example = Example{};
    builder.reset();
  };
  for (;;) {
    stream::Event event = reader.next();
    const std::string where = path + ": member " + std::to_string(member) + ", segment " + std::to_string(segment);
    try {
      if (event == stream::Event::SegmentBegin) {
        const auto& info = reader.segment();
        check_segment(info, layout, tokenizers);
        if (!builder) {
          builder = std::make_unique<generate::SequenceBuilder>(layout);
          previous_turn = builder->turn();
          flagged = 0;
        }
        builder->begin_segment(info.modality, info.role, generate::segment_shape(info.modality, info.json));
        flag_new();
      } else if (event == stream::Event::Tokens) {
        builder->codes(reader.tokens().data(), reader.tokens().size());
        flag_new();
      } else if (event == stream::Event::SegmentEnd) {
        builder->end_segment();
        flag_new();
        ++segment;
      } else if (event == stream::Event::MemberEnd) {
        if (unit == ExampleUnit::Member) finish();
        ++member, segment = 0;
      } else if (event == stream::Event::Eof) {
        finish();
        break;
      }
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
}

void read_pairs(const std::string& path, const generate::Layout& layout, TokenizerIds& tokenizers, PairSet& out) {
  cli::Input input(path);
  stream::Reader reader(input.source());
  size_t member = 0;
  std::vector<View> views;
  std::unique_ptr<generate::SequenceBuilder> builder;
  for (;;) {
    stream::Event event = reader.next();
    try {
      if (event == stream::Event::SegmentBegin) {
        const auto& info = reader.segment();
        check_segment(info, layout, tokenizers);
        builder = std::make_unique<generate::SequenceBuilder>(layout);
        builder->begin_segment(info.modality, "", generate::segment_shape(info.modality, info.json));
        views.emplace_back();
        views.back().from = uint32_t(builder->ids().size());
      } else if (event == stream::Event::Tokens) {
        builder->codes(reader.tokens().data(), reader.tokens().size());
      } else if (event == stream::Event::SegmentEnd) {
        views.back().to = uint32_t(builder->ids().size());
        builder->end_segment();
        views.back().ids = builder->ids();
        if (views.back().to == views.back().from) throw Error("segment " + std::to_string(views.size() - 1) + " is empty");
      } else if (event == stream::Event::MemberEnd || (event == stream::Event::Eof && !views.empty())) {
        if (views.empty() || views.size() % 2 != 0)
          throw Error("a pair is two segments (a group of pairs, an even number), this member has " +
                      std::to_string(views.size()));
        out.group_starts.push_back(out.pairs.size());
        for (size_t v = 0; v < views.size(); v += 2)
          out.pairs.emplace_back(std::move(views[v]), std::move(views[v + 1]));
        views.clear();
        ++member;
      }
      if (event == stream::Event::Eof) break;
    } catch (const Error& e) {
      throw Error(path + ": member " + std::to_string(member) + ": " + e.what());
    }
  }
}

}  // namespace

PairSet load_pairs(const std::vector<std::string>& paths, const std::string& bundle_dir, const generate::Layout& layout) {
  std::vector<std::string> files = expand(paths);
  if (files.empty()) throw Error("no pair streams (give .mmt files or directories holding them)");
  TokenizerIds tokenizers(bundle_dir);
  PairSet set;
  for (const std::string& file : files) read_pairs(file, layout, tokenizers, set);
  if (set.pairs.size() < 2) throw Error("the pair streams hold " + std::to_string(set.pairs.size()) + " pairs; the contrastive loss needs 2 or more");
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const auto& [a, b] : set.pairs)
    for (const View* v : {&a, &b}) {
      uint64_t header[3] = {v->ids.size(), v->from, v->to};
      XXH3_64bits_update(state, header, sizeof header);
      XXH3_64bits_update(state, v->ids.data(), v->ids.size() * sizeof(uint32_t));
    }
  // Only groups of more than one pair change the hash, so that the pair streams of runs
  // before groups existed keep their names (and their checkpoints resume).
  if (set.group_starts.size() != set.pairs.size())
    XXH3_64bits_update(state, set.group_starts.data(), set.group_starts.size() * sizeof(size_t));
  set.hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return set;
}

ExampleSet load_examples(const std::vector<std::string>& paths, const std::string& bundle_dir,
                         const generate::Layout& layout, Scored scored, ExampleUnit unit) {
  std::vector<std::string> files = expand(paths);
  if (files.empty()) throw Error("no training streams (give .mmt files or directories holding them)");
  TokenizerIds tokenizers(bundle_dir);
  ExampleSet set;
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const std::string& file : files) {
    read_examples(file, layout, tokenizers, scored, unit, set.examples);
  }
  for (const Example& example : set.examples) {
    set.ids += example.ids.size();
    for (uint8_t s : example.scored) set.scored += s;
    uint64_t size = example.ids.size();
    XXH3_64bits_update(state, &size, sizeof size);
    XXH3_64bits_update(state, example.ids.data(), example.ids.size() * sizeof(uint32_t));
    XXH3_64bits_update(state, example.scored.data(), example.scored.size());
  }
  if (set.examples.empty()) throw Error("the training streams hold no segments");
  set.hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  if (set.scored == 0) throw Error("no id of the training streams is scored (every turn is a user's or system's)");
  return set;
}

}  // namespace mm::train
