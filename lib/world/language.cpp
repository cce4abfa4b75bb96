#include "world/language.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace mm::world {

namespace {

const char* const kNumbers[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};

std::string number(size_t n) { return n < 10 ? kNumbers[n] : std::to_string(n); }

std::string plural(Shape shape) { return std::string(name(shape)) + "s"; }

std::string article_for(const std::string& word) {
  return std::string("aeiou").find(word[0]) != std::string::npos ? "an " : "a ";
}

bool colour_used(const Scene& scene, Colour colour) {
  for (const auto& o : scene.objects)
    if (o.colour == colour) return true;
  return false;
}

}  // namespace

std::string noun_phrase(const Object& o) {
  std::string words = (o.size == Size::Medium ? std::string() : std::string(name(o.size)) + " ") + name(o.colour) +
                      " " + name(o.shape);
  return article_for(words) + words;
}

std::string definite(const Object& o) { return std::string("the ") + name(o.colour) + " " + name(o.shape); }

std::string relation(double ax, double ay, double bx, double by) {
  const double same = kCell / 2.0;
  std::string vertical = ay < by - same ? "above" : ay > by + same ? "below" : "";
  std::string horizontal = ax < bx - same ? "to the left of" : ax > bx + same ? "to the right of" : "";
  if (vertical.empty() && horizontal.empty()) return "on";
  if (vertical.empty()) return horizontal;
  if (horizontal.empty()) return vertical;
  return vertical + " and " + horizontal;
}

std::string region(double x, double y) {
  static const char* const kRegions[] = {"at the top left",    "at the top",    "at the top right",
                                         "on the left",        "in the middle", "on the right",
                                         "at the bottom left", "at the bottom", "at the bottom right"};
  return kRegions[cell_at(x, y)];
}

std::string caption(const Scene& scene) {
  const auto& o = scene.objects;
  if (o.empty()) return "nothing";
  if (o.size() == 1) return noun_phrase(o[0]) + " " + region(o[0].x, o[0].y);
  std::string text = noun_phrase(o[0]) + " " + relation(o[0].x, o[0].y, o[1].x, o[1].y) + " " + noun_phrase(o[1]);
  for (size_t i = 2; i < o.size(); ++i)
    text += ", and " + definite(o[i - 1]) + " " + relation(o[i - 1].x, o[i - 1].y, o[i].x, o[i].y) + " " +
            noun_phrase(o[i]);
  return text;
}

std::string motion_sentence(const Scene& scene) {
  std::string text;
  for (const auto& o : scene.objects) {
    if (o.motion == Direction::None) continue;
    if (!text.empty()) text += ", and ";
    std::string way = o.motion == Direction::Left    ? "to the left"
                      : o.motion == Direction::Right ? "to the right"
                                                     : name(o.motion);
    text += definite(o) + " moves " + (o.speed == Speed::Fast ? "quickly " : "slowly ") + way;
  }
  return text.empty() ? "nothing moves" : text;
}

std::vector<Question> questions(const Scene& scene) {
  std::vector<Question> out;
  const auto& objects = scene.objects;
  out.push_back({"how many shapes are there?", number(objects.size())});
  for (int s = 0; s < kShapes; ++s) {
    Shape shape = Shape(s);
    size_t count = std::count_if(objects.begin(), objects.end(), [&](const Object& o) { return o.shape == shape; });
    out.push_back({"how many " + plural(shape) + " are there?", number(count)});
    if (count == 1)
      for (const auto& o : objects)
        if (o.shape == shape) out.push_back({std::string("what colour is the ") + name(shape) + "?", name(o.colour)});
  }
  for (const auto& o : objects) {
    out.push_back({std::string("what shape is the ") + name(o.colour) + " object?", name(o.shape)});
    out.push_back({"how big is " + definite(o) + "?", name(o.size)});
    if (objects.size() == 1) out.push_back({"where is " + definite(o) + "?", region(o.x, o.y).substr(7)});
  }
  for (int c = 0; c < kColours; ++c)
    for (int s = 0; s < kShapes; ++s) {
      bool present = std::any_of(objects.begin(), objects.end(),
                                 [&](const Object& o) { return o.colour == Colour(c) && o.shape == Shape(s); });
      out.push_back({std::string("is there a ") + name(Colour(c)) + " " + name(Shape(s)) + "?", present ? "yes" : "no"});
    }
  std::string moving;
  for (const auto& o : objects)
    if (o.motion != Direction::None) {
      moving = definite(o);
      out.push_back({"which way does " + definite(o) + " move?", name(o.motion), true});
    }
  out.push_back({"what is moving?", moving.empty() ? "nothing" : moving, true});
  return out;
}

std::vector<Edit> edits(const Scene& original) {
  Scene scene = still(original);
  std::vector<Edit> out;
  const auto& objects = scene.objects;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Object& o = objects[i];
    for (int c = 0; c < kColours; ++c) {
      if (colour_used(scene, Colour(c))) continue;
      Edit e{"make " + definite(o) + " " + name(Colour(c)), scene};
      e.result.objects[i].colour = Colour(c);
      canonicalize(e.result);
      out.push_back(e);
    }
    for (int s = 0; s < kSizes; ++s) {
      if (Size(s) == o.size) continue;
      Edit e{"make " + definite(o) + " " + name(Size(s)), scene};
      e.result.objects[i].size = Size(s);
      out.push_back(e);
    }
    static const struct {
      int dx, dy;
      const char* way;
    } kMoves[] = {{-1, 0, "to the left"}, {1, 0, "to the right"}, {0, -1, "up"}, {0, 1, "down"}};
    for (const auto& m : kMoves) {
      int cx = cell_of(o.x) + m.dx, cy = cell_of(o.y) + m.dy;
      if (cx < 0 || cx > 2 || cy < 0 || cy > 2) continue;
      bool occupied = std::any_of(objects.begin(), objects.end(),
                                  [&](const Object& p) { return cell_of(p.x) == cx && cell_of(p.y) == cy; });
      if (occupied) continue;
      Edit e{"move " + definite(o) + " " + m.way, scene};
      e.result.objects[i].x += m.dx * kCell;
      e.result.objects[i].y += m.dy * kCell;
      out.push_back(e);
    }
    if (objects.size() > 1) {
      Edit e{"remove " + definite(o), scene};
      e.result.objects.erase(e.result.objects.begin() + long(i));
      out.push_back(e);
    }
  }
  return out;
}

std::string normalize(const std::string& text) {
  std::string out;
  bool space = false;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += char(std::tolower(c));
    } else if (c != '\'') {
      space = true;
    }
  }
  return out;
}

double word_accuracy(const std::string& reference, const std::string& hypothesis) {
  auto words = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(normalize(text));
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  };
  auto ref = words(reference), hyp = words(hypothesis);
  if (ref.empty()) return hyp.empty() ? 1.0 : 0.0;
  std::vector<size_t> row(hyp.size() + 1), next(hyp.size() + 1);
  for (size_t j = 0; j <= hyp.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= ref.size(); ++i) {
    next[0] = i;
    for (size_t j = 1; j <= hyp.size(); ++j)
      next[j] = std::min({row[j] + 1, next[j - 1] + 1, row[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1)});
    std::swap(row, next);
  }
  return std::max(0.0, 1.0 - double(row[hyp.size()]) / double(ref.size()));
}

}  // namespace mm::world
