#include "world/score.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.h"
#include "media/image_io.h"
#include "media/video.h"
#include "world/detect.h"
#include "world/drawing.h"
#include "world/language.h"
#include "world/perceive.h"

namespace mm::world {

namespace {

std::string describe(const Object& o) { return std::string(name(o.size)) + " " + name(o.colour) + " " + name(o.shape); }
std::string describe(const Detection& d) {
  return std::string(name(d.size)) + " " + name(d.colour) + " " + name(d.shape);
}

Verdict fail(std::string reason) { return {0, std::move(reason)}; }

// Pairs each truth object with the detection of its colour (colours are unique in a scene).
// Returns an empty reason when every object is there with its shape and size, and nothing else.
std::string match(const std::vector<Detection>& found, const Scene& truth, std::vector<const Detection*>& pairs) {
  pairs.clear();
  for (const auto& o : truth.objects) {
    const Detection* hit = nullptr;
    for (const auto& d : found)
      if (d.colour == o.colour) {
        if (hit) return "more than one " + std::string(name(o.colour)) + " object";
        hit = &d;
      }
    if (!hit) return "missing the " + describe(o);
    if (hit->shape != o.shape || hit->size != o.size) return "the " + describe(o) + " is drawn as a " + describe(*hit);
    pairs.push_back(hit);
  }
  for (const auto& d : found) {
    bool wanted = std::any_of(truth.objects.begin(), truth.objects.end(),
                              [&](const Object& o) { return o.colour == d.colour; });
    if (!wanted) return "an extra " + describe(d);
  }
  return "";
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<media::Image> read_video(const std::string& path) {
  media::VideoDecoder decoder(path, {});
  std::vector<media::Image> frames;
  for (media::VideoFrame f; decoder.next(f);) frames.push_back(std::move(f.image));
  return frames;
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

Verdict check_image(const media::Image& image, const Scene& truth, Placement placement) {
  auto found = detect(image);
  std::vector<const Detection*> pairs;
  if (auto reason = match(found, truth, pairs); !reason.empty()) return fail(reason);
  const auto& objects = truth.objects;
  if (placement == Placement::Positions) {
    for (size_t i = 0; i < objects.size(); ++i) {
      double dx = pairs[i]->x - objects[i].x, dy = pairs[i]->y - objects[i].y;
      if (std::hypot(dx, dy) > kPositionTolerance) {
        std::ostringstream s;
        s.precision(3);
        s << "the " << describe(objects[i]) << " is at " << pairs[i]->x << " " << pairs[i]->y << ", not "
          << objects[i].x << " " << objects[i].y;
        return fail(s.str());
      }
    }
    return {1, ""};
  }
  if (objects.size() == 1) {
    std::string want = region(objects[0].x, objects[0].y), got = region(pairs[0]->x, pairs[0]->y);
    if (want != got) return fail("the " + describe(objects[0]) + " is " + got + ", not " + want);
    return {1, ""};
  }
  for (size_t i = 1; i < objects.size(); ++i) {
    std::string want = relation(objects[i - 1].x, objects[i - 1].y, objects[i].x, objects[i].y);
    std::string got = relation(pairs[i - 1]->x, pairs[i - 1]->y, pairs[i]->x, pairs[i]->y);
    if (want != got)
      return fail(definite(objects[i - 1]) + " is " + got + " " + definite(objects[i]) + ", not " + want);
  }
  return {1, ""};
}

Verdict check_video(const std::vector<media::Image>& frames, const Scene& truth) {
  if (frames.size() < 2) return fail("a video needs at least two frames");
  Scene first = truth;
  for (auto& o : first.objects) o.motion = Direction::None;
  if (auto v = check_image(frames.front(), first, Placement::Relations); v.score < 1) return fail("first frame: " + v.reason);
  Scene seen = perceive(frames);
  for (const auto& o : truth.objects) {
    Object moved;
    for (const auto& p : seen.objects)
      if (p.colour == o.colour) moved = p;
    if (moved.motion != o.motion)
      return fail(definite(o) +
                  (moved.motion == Direction::None ? std::string(" does not move") : std::string(" moves ") + name(moved.motion)) +
                  ", not " + (o.motion == Direction::None ? std::string("still") : name(o.motion)));
    if (o.motion != Direction::None && moved.speed != o.speed)
      return fail(definite(o) + " moves " + name(moved.speed) + ", not " + name(o.speed));
  }
  return {1, ""};
}

Verdict check_code(const std::string& code, const Scene& truth) {
  std::vector<Object> drawn;
  try {
    drawn = parse_code(code);
  } catch (const Error& e) {
    return fail(std::string("code: ") + e.what());
  }
  Scene got;
  got.objects = drawn;
  canonicalize(got);
  if (got.objects.size() != truth.objects.size())
    return fail("code draws " + std::to_string(got.objects.size()) + " objects, not " +
                std::to_string(truth.objects.size()));
  for (size_t i = 0; i < truth.objects.size(); ++i) {
    const Object &want = truth.objects[i], &have = got.objects[i];
    if (want.shape != have.shape || want.colour != have.colour || want.size != have.size)
      return fail("code draws a " + describe(have) + " where the image has a " + describe(want));
    if (std::hypot(want.x - have.x, want.y - have.y) > kPositionTolerance)
      return fail("code puts the " + describe(want) + " at " + std::to_string(have.x) + " " + std::to_string(have.y) +
                  ", not " + std::to_string(want.x) + " " + std::to_string(want.y));
    if (want.motion != have.motion || (want.motion != Direction::None && want.speed != have.speed))
      return fail("code gives the " + describe(want) + " the wrong motion");
  }
  return {1, ""};
}

namespace {

// Why an answer is wrong: the answer, as compared, and the reference. A runaway answer is
// cut, visibly, after a little more than the world's longest caption.
std::string text_mismatch(const std::string& text, const std::string& reference) {
  constexpr size_t kShown = 200;
  const std::string answer = normalize(text);
  return "\"" + (answer.size() > kShown ? answer.substr(0, kShown) + "..." : answer) + "\", not \"" +
         normalize(reference) + "\"";
}

}  // namespace

Verdict check_text(const std::string& text, const std::string& reference) {
  if (normalize(text) == normalize(reference)) return {1, ""};
  return fail(text_mismatch(text, reference));
}

Verdict check_transcript(const std::string& text, const std::string& reference) {
  double accuracy = word_accuracy(reference, text);
  return {accuracy, accuracy < 1 ? text_mismatch(text, reference) : ""};
}

std::pair<double, double> TaskTally::interval() const {
  if (scored == 0) return {0.0, 1.0};
  const double z = 1.959964, n = double(scored), p = accuracy();
  if (!fractional) {
    const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
    const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
  }
  const double variance = scored > 1 ? std::max(0.0, (squares - n * p * p) / (n - 1)) : 0.25;
  const double half = z * std::sqrt(variance / n);
  return {std::max(0.0, p - half), std::min(1.0, p + half)};
}

double sign_test(size_t better, size_t worse) {
  const size_t n = better + worse, k = std::min(better, worse);
  if (n == 0) return 1.0;
  // 2 * P(X <= k) for X ~ Binomial(n, 1/2): term by term from 2^-n while that is a double,
  // in logs beyond (n in the thousands).
  double tail = 0;
  if (n <= 1000) {
    double term = std::ldexp(1.0, -int(n));
    for (size_t i = 0; i <= k; ++i) tail += term, term = term * double(n - i) / double(i + 1);
  } else {
    for (size_t i = 0; i <= k; ++i)
      tail += std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(i) + 1) - std::lgamma(double(n - i) + 1) -
                       double(n) * std::log(2.0));
  }
  return std::min(1.0, 2 * tail);
}

std::map<std::string, PairedTally> compare_reports(const Report& first, const Report& second) {
  std::map<std::string, PairedTally> tallies;
  for (const auto& [id, task_score] : first.scores) {
    auto other = second.scores.find(id);
    if (other == second.scores.end()) continue;
    PairedTally& t = tallies[task_score.first];
    ++t.paired;
    if (task_score.second > other->second.second) ++t.better;
    if (task_score.second < other->second.second) ++t.worse;
  }
  for (auto& [task, t] : tallies) t.p_value = sign_test(t.better, t.worse);
  return tallies;
}

Report score_manifest(const ScoreOptions& options) {
  std::ifstream in(options.manifest);
  if (!in) throw Error(options.manifest + ": cannot read the manifest");
  std::string base = options.manifest.substr(0, options.manifest.find_last_of('/') + 1);
  std::string outputs = options.outputs.empty() || options.outputs.back() == '/' ? options.outputs : options.outputs + "/";
  Report report;
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    nlohmann::json task;
    try {
      task = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(options.manifest + ": line " + std::to_string(number) + ": " + e.what());
    }
    try {
      std::string name = task.at("task").get<std::string>(), id = task.at("id").get<std::string>();
      if (!options.only_tasks.empty() &&
          std::find(options.only_tasks.begin(), options.only_tasks.end(), name) == options.only_tasks.end())
        continue;
      TaskTally& tally = report.tasks[name];
      ++tally.tasks;
      if (name == "speak_caption") continue;  // no classical recogniser: counted, not scored
      double score = 1;
      bool missing = false;
      std::string reason;
      const auto& turns = task.at("turns");
      for (size_t t = 0; t < turns.size() && score > 0; ++t) {
        const auto& turn = turns[t];
        const auto& answer = turn.at("assistant");
        Scene truth = scene_from_json(turn.at("truth").dump());
        // The answer to score: the model's output file, or the corpus's own reference.
        std::string path, text;
        bool inline_text = answer.contains("text") || answer.contains("code");
        std::string reference_text = answer.contains("text")   ? answer["text"].get<std::string>()
                                     : answer.contains("code") ? answer["code"].get<std::string>()
                                                               : std::string();
        if (options.reference) {
          if (inline_text) text = reference_text;
          else path = base + answer.begin().value().get<std::string>();
        } else {
          path = outputs + turn.at("output").get<std::string>();
          if (!file_exists(path)) {
            missing = true;
            score = 0;
            reason = "no output " + path;
            break;
          }
          if (inline_text) text = read_text_file(path);
        }
        Verdict v;
        try {
          if (answer.contains("code")) v = check_code(text, truth);
          else if (answer.contains("text")) v = name == "transcribe_speech" ? check_transcript(text, reference_text)
                                                                           : check_text(text, reference_text);
          else if (answer.contains("image"))
            v = check_image(media::read_image(path), truth,
                            name == "draw_caption" ? Placement::Relations : Placement::Positions);
          else if (answer.contains("video")) v = check_video(read_video(path), truth);
          else throw Error("an answer of unknown kind");
        } catch (const Error& e) {
          v = fail(e.what());  // an unreadable output is a wrong answer, not the end of scoring
        }
        score = turns.size() > 1 ? std::min(score, v.score) : v.score;
        if (v.score < 1) reason = (turns.size() > 1 ? "turn " + std::to_string(t + 1) + ": " : "") + v.reason;
      }
      if (missing) ++tally.missing;
      tally.add(score);
      report.scores[id] = {name, score};
      if (score < 1) report.failures.push_back({id, reason});
    } catch (const nlohmann::json::exception& e) {
      throw Error(options.manifest + ": line " + std::to_string(number) + ": " + e.what());
    }
  }
  return report;
}

}  // namespace mm::world
