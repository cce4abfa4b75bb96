#include "world/solve.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.h"
#include "media/image_io.h"
#include "media/video.h"
#include "world/drawing.h"
#include "world/language.h"
#include "world/perceive.h"
#include "world/raster.h"

namespace mm::world {

namespace {

// Reads words of a normalized sentence one at a time.
class Words {
 public:
  explicit Words(const std::string& text) {
    std::istringstream in(normalize(text));
    for (std::string w; in >> w;) words_.push_back(w);
  }
  bool done() const { return at_ == words_.size(); }
  const std::string& peek(size_t ahead = 0) const {
    static const std::string none;
    return at_ + ahead < words_.size() ? words_[at_ + ahead] : none;
  }
  bool take(const std::string& word) {
    if (peek() != word) return false;
    ++at_;
    return true;
  }
  // Takes the words of `phrase` if they come next, all of them.
  bool take_phrase(const std::string& phrase) {
    Words p(phrase);
    for (size_t i = 0; i < p.words_.size(); ++i)
      if (peek(i) != p.words_[i]) return false;
    at_ += p.words_.size();
    return true;
  }
  std::string next() { return done() ? std::string() : words_[at_++]; }

 private:
  std::vector<std::string> words_;
  size_t at_ = 0;
};

std::optional<Object> indefinite(Words& w) {
  if (!w.take("a") && !w.take("an")) return std::nullopt;
  Object o;
  if (auto size = size_named(w.peek())) {
    o.size = *size;
    w.next();
  }
  auto colour = colour_named(w.next());
  auto shape = shape_named(w.next());
  if (!colour || !shape) return std::nullopt;
  o.colour = *colour;
  o.shape = *shape;
  return o;
}

bool definite_is(Words& w, const Object& o) {
  return w.take("the") && w.take(name(o.colour)) && w.take(name(o.shape));
}

// A relation as signs: -1 (a above / left of b), 0 (same row / column), +1.
bool relation_signs(Words& w, int& vertical, int& horizontal) {
  vertical = horizontal = 0;
  if (w.take("on")) return true;
  if (w.take("above")) vertical = -1;
  else if (w.take("below")) vertical = 1;
  if (vertical && !w.take_phrase("and to the")) return true;
  if (!vertical && !w.take_phrase("to the")) return false;
  if (w.take("left")) horizontal = -1;
  else if (w.take("right")) horizontal = 1;
  else return false;
  return w.take("of");
}

int sign(int v) { return (v > 0) - (v < 0); }

// Distinct cells for the objects such that each pair's relation holds; depth-first over
// cells in reading order, so the layout is always the same.
// A moving object must have an empty cell to move into, as in generated scenes.
bool place(std::vector<int>& cells, size_t i, const std::vector<std::array<int, 2>>& relations, int fixed_cell,
           const std::vector<Object>& objects) {
  if (i == cells.size()) {
    for (size_t k = 0; k < objects.size(); ++k) {
      if (objects[k].motion == Direction::None) continue;
      int dx = objects[k].motion == Direction::Left ? -1 : objects[k].motion == Direction::Right ? 1 : 0;
      int dy = objects[k].motion == Direction::Up ? -1 : objects[k].motion == Direction::Down ? 1 : 0;
      int cx = cells[k] % 3 + dx, cy = cells[k] / 3 + dy;
      if (cx < 0 || cx > 2 || cy < 0 || cy > 2) return false;
      if (std::find(cells.begin(), cells.end(), cy * 3 + cx) != cells.end()) return false;
    }
    return true;
  }
  for (int cell = 0; cell < 9; ++cell) {
    if (fixed_cell >= 0 && cell != fixed_cell) continue;
    if (std::find(cells.begin(), cells.begin() + long(i), cell) != cells.begin() + long(i)) continue;
    if (i > 0) {
      int a = cells[i - 1];
      if (sign(a / 3 - cell / 3) != relations[i - 1][0] || sign(a % 3 - cell % 3) != relations[i - 1][1]) continue;
    }
    cells[i] = cell;
    if (place(cells, i + 1, relations, -1, objects)) return true;
  }
  return false;
}

bool parse_motion(const std::string& sentence, Scene& scene) {
  Words w(sentence);
  if (w.take_phrase("nothing moves")) return w.done();
  while (!w.done()) {
    if (!w.take("the")) return false;
    auto colour = colour_named(w.next());
    auto shape = shape_named(w.next());
    if (!colour || !shape || !w.take("moves")) return false;
    Speed speed = w.take("quickly") ? Speed::Fast : (w.take("slowly"), Speed::Slow);
    Direction d;
    if (w.take_phrase("to the left")) d = Direction::Left;
    else if (w.take_phrase("to the right")) d = Direction::Right;
    else if (w.take("up")) d = Direction::Up;
    else if (w.take("down")) d = Direction::Down;
    else return false;
    bool found = false;
    for (auto& o : scene.objects)
      if (o.colour == *colour && o.shape == *shape) o.motion = d, o.speed = speed, found = true;
    if (!found) return false;
    w.take("and");
  }
  return true;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) throw Error(path + ": cannot write");
}

std::vector<media::Image> read_frames(const std::string& path) {
  media::VideoDecoder decoder(path, {});
  std::vector<media::Image> frames;
  for (media::VideoFrame f; decoder.next(f);) frames.push_back(std::move(f.image));
  return frames;
}

std::string answer_to(const Scene& scene, const std::string& question) {
  for (const auto& q : questions(scene))
    if (normalize(q.question) == normalize(question)) return q.answer;
  return "";
}

}  // namespace

std::optional<Scene> scene_of_caption(const std::string& text) {
  size_t semicolon = text.find(';');
  Words w(text.substr(0, semicolon));
  Scene scene;
  std::vector<std::array<int, 2>> relations;
  auto first = indefinite(w);
  if (!first) return std::nullopt;
  scene.objects.push_back(*first);
  int fixed_cell = -1;
  static const char* const kRegions[] = {"at the top left",    "at the top",    "at the top right",
                                         "on the left",        "in the middle", "on the right",
                                         "at the bottom left", "at the bottom", "at the bottom right"};
  for (int cell = 0; cell < 9 && fixed_cell < 0; ++cell) {
    Words probe = w;
    if (probe.take_phrase(kRegions[cell]) && probe.done()) fixed_cell = cell, w = probe;
  }
  while (!w.done()) {
    if (scene.objects.size() > 1 && !(w.take("and") && definite_is(w, scene.objects.back()))) return std::nullopt;
    std::array<int, 2> signs{};
    if (!relation_signs(w, signs[0], signs[1])) return std::nullopt;
    auto next = indefinite(w);
    if (!next) return std::nullopt;
    relations.push_back(signs);
    scene.objects.push_back(*next);
  }
  if (scene.objects.size() > 9) return std::nullopt;
  if (semicolon != std::string::npos && !parse_motion(text.substr(semicolon + 1), scene)) return std::nullopt;
  std::vector<int> cells(scene.objects.size());
  if (!place(cells, 0, relations, fixed_cell, scene.objects)) return std::nullopt;
  for (size_t i = 0; i < cells.size(); ++i) {
    scene.objects[i].x = cells[i] % 3 * kCell + kCell / 2;
    scene.objects[i].y = cells[i] / 3 * kCell + kCell / 2;
  }
  canonicalize(scene);
  return scene;
}

SolveReport solve_manifest(const std::string& manifest, const std::string& directory, int size) {
  std::ifstream in(manifest);
  if (!in) throw Error(manifest + ": cannot read the manifest");
  const std::string base = manifest.substr(0, manifest.find_last_of('/') + 1);
  const std::string out = directory + (directory.back() == '/' ? "" : "/");
  SolveReport report;
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    try {
      auto task = nlohmann::json::parse(line);
      const std::string kind = task.at("task").get<std::string>();
      ++report.tasks;
      if (kind == "transcribe_speech" || kind == "speak_caption") continue;  // no classical speech
      Scene current;  // what the conversation shows so far
      bool answered_all = true;
      for (const auto& turn : task.at("turns")) {
        std::string text, code, image, video;
        for (const auto& part : turn.at("user")) {
          if (part.contains("text")) text = part["text"].get<std::string>();
          if (part.contains("code")) code = part["code"].get<std::string>();
          if (part.contains("image")) image = base + part["image"].get<std::string>();
          if (part.contains("video")) video = base + part["video"].get<std::string>();
        }
        if (!image.empty()) current = perceive(media::read_image(image));
        if (!video.empty()) current = perceive(read_frames(video));
        auto strip = [&](const std::string& verb) { return text.rfind(verb, 0) == 0 ? text.substr(verb.size()) : text; };
        const std::string path = out + turn.at("output").get<std::string>();
        const auto& answer = turn.at("assistant");
        if (answer.contains("image") || answer.contains("video")) {
          std::optional<Scene> drawn;
          if (kind == "draw_caption" || kind == "animate_caption")
            drawn = scene_of_caption(strip(kind == "draw_caption" ? "draw " : "animate "));
          else if (kind == "draw_code") drawn = Scene{0, 0, parse_code(code)};
          else if (kind == "copy_image") drawn = current;
          else
            for (const auto& e : edits(current))
              if (normalize(e.instruction) == normalize(text)) drawn = e.result;
          if (!drawn) {  // not understood: no output, scored as missing
            answered_all = false;
            continue;
          }
          current = *drawn;
          if (answer.contains("image")) {
            auto bytes = media::encode_image(render_image(current.objects, size), media::ImageFormat::Png);
            write_file(path, std::string(bytes.begin(), bytes.end()));
          } else {
            // One encoding thread: tiny videos gain nothing from more, and the bytes cannot depend on timing.
            media::VideoEncoder encoder(path, "mp4", size, size, kVideoFps, 1);
            for (const auto& frame : render_video(current, size)) encoder.add(frame);
            encoder.finish();
          }
        } else if (answer.contains("code")) {
          write_file(path, to_code(current.objects));
        } else if (kind == "caption_image") {
          write_file(path, caption(current) + "\n");
        } else if (kind == "describe_motion") {
          write_file(path, motion_sentence(current) + "\n");
        } else {
          write_file(path, answer_to(current, text) + "\n");
        }
      }
      report.answered += answered_all;
    } catch (const nlohmann::json::exception& e) {
      throw Error(manifest + ": line " + std::to_string(number) + ": " + e.what());
    }
  }
  return report;
}

}  // namespace mm::world
