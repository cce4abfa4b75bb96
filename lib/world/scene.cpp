#include "world/scene.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "error.h"
#include "world/random.h"

namespace mm::world {

namespace {

const char* const kShapeNames[] = {"circle", "square", "triangle"};
const char* const kColourNames[] = {"red", "orange", "yellow", "green", "blue", "purple"};
const char* const kSizeNames[] = {"small", "medium", "large"};
const char* const kDirectionNames[] = {"none", "left", "right", "up", "down"};
const char* const kSpeedNames[] = {"slow", "fast"};

// Saturated colours whose hues lie far apart (0, 32, 54, 130, 222, 281 degrees), so that
// a hue survives anti-aliasing against the grey background and JPEG's chroma loss.
const Rgb kPalette[] = {{220, 40, 40}, {245, 140, 20}, {235, 210, 20}, {40, 170, 60}, {40, 90, 225}, {150, 60, 200}};

template <typename E, size_t N>
std::optional<E> lookup(const char* const (&names)[N], const std::string& word) {
  for (size_t i = 0; i < N; ++i)
    if (word == names[i]) return E(i);
  return std::nullopt;
}

void step_of(Direction d, int& dx, int& dy) {
  dx = d == Direction::Left ? -1 : d == Direction::Right ? 1 : 0;
  dy = d == Direction::Up ? -1 : d == Direction::Down ? 1 : 0;
}

// At the cell's centre, jittered.
void place_in_cell(Object& o, int cell, Random& rng) {
  o.x = (cell % 3) * kCell + kCell / 2 + rng.between(-kJitter, kJitter);
  o.y = (cell / 3) * kCell + kCell / 2 + rng.between(-kJitter, kJitter);
}

}  // namespace

bool is_held_out(uint64_t seed, uint64_t index) { return seed == kHeldOutSeed && index < kHeldOutEnd; }

const char* name(Shape v) { return kShapeNames[int(v)]; }
const char* name(Colour v) { return kColourNames[int(v)]; }
const char* name(Size v) { return kSizeNames[int(v)]; }
const char* name(Direction v) { return kDirectionNames[int(v)]; }
const char* name(Speed v) { return kSpeedNames[int(v)]; }
std::optional<Shape> shape_named(const std::string& w) { return lookup<Shape>(kShapeNames, w); }
std::optional<Colour> colour_named(const std::string& w) { return lookup<Colour>(kColourNames, w); }
std::optional<Size> size_named(const std::string& w) { return lookup<Size>(kSizeNames, w); }
std::optional<Direction> direction_named(const std::string& w) { return lookup<Direction>(kDirectionNames, w); }
std::optional<Speed> speed_named(const std::string& w) { return lookup<Speed>(kSpeedNames, w); }
Rgb rgb_of(Colour c) { return kPalette[int(c)]; }

int extent_of(Size size) { return size == Size::Small ? 12 : size == Size::Medium ? 18 : 24; }

int cell_of(double coordinate) { return std::clamp(int(coordinate / kCell), 0, 2); }

int cell_at(double x, double y) { return cell_of(y) * 3 + cell_of(x); }

void position_at(const Object& o, double t, double& x, double& y) {
  int dx, dy;
  step_of(o.motion, dx, dy);
  double travel = (o.speed == Speed::Fast ? kFastTravel : kSlowTravel) * t;
  x = o.x + dx * travel;
  y = o.y + dy * travel;
}

void canonicalize(Scene& scene) {
  std::stable_sort(scene.objects.begin(), scene.objects.end(), [](const Object& a, const Object& b) {
    return std::make_pair(int(a.shape), int(a.colour)) < std::make_pair(int(b.shape), int(b.colour));
  });
}

Scene still(Scene scene) {
  for (auto& o : scene.objects) o.motion = Direction::None, o.speed = Speed::Slow;
  return scene;
}

Scene placement_twin(const Scene& scene) {
  Scene twin = still(scene);
  const size_t n = twin.objects.size();
  if (n == 1) {
    Object& o = twin.objects[0];
    const int cx = o.x / kCell, cy = o.y / kCell;  // the cell's jitter is kept
    const int mx = cx == 1 && cy == 1 ? 0 : 2 - cx, my = cx == 1 && cy == 1 ? 0 : 2 - cy;
    o.x += (mx - cx) * kCell;
    o.y += (my - cy) * kCell;
  } else {
    for (size_t i = 0; i < n; ++i) {
      twin.objects[i].x = scene.objects[(i + 1) % n].x;
      twin.objects[i].y = scene.objects[(i + 1) % n].y;
    }
  }
  return twin;
}

std::optional<Scene> object_added(const Scene& scene) {
  if (scene.objects.size() >= 3) return std::nullopt;
  Random rng(mix_seed(scene.seed, scene.index) ^ 0x616464206f6e6521ull);
  Scene added = still(scene);
  std::vector<int> cells, colours;
  for (int cell = 0; cell < 9; ++cell)
    if (std::none_of(scene.objects.begin(), scene.objects.end(),
                     [&](const Object& o) { return cell_at(o.x, o.y) == cell; }))
      cells.push_back(cell);
  for (int colour = 0; colour < kColours; ++colour)
    if (std::none_of(scene.objects.begin(), scene.objects.end(), [&](const Object& o) { return int(o.colour) == colour; }))
      colours.push_back(colour);
  Object o;
  o.shape = Shape(rng.below(kShapes));
  o.colour = Colour(colours[rng.below(colours.size())]);
  o.size = Size(rng.below(kSizes));
  const int cell = cells[rng.below(cells.size())];
  place_in_cell(o, cell, rng);
  added.objects.push_back(o);
  canonicalize(added);
  return added;
}

Scene generate_scene(uint64_t seed, uint64_t index) {
  Random rng(mix_seed(seed, index));
  Scene scene;
  scene.seed = seed;
  scene.index = index;
  int count = 1 + int(rng.below(3));
  std::vector<int> cells = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<int> colours = {0, 1, 2, 3, 4, 5};
  rng.shuffle(cells);
  rng.shuffle(colours);
  for (int i = 0; i < count; ++i) {
    Object o;
    o.shape = Shape(rng.below(kShapes));
    o.colour = Colour(colours[i]);
    o.size = Size(rng.below(kSizes));
    place_in_cell(o, cells[i], rng);
    scene.objects.push_back(o);
  }
  // Half the scenes have one moving object, heading for an empty neighbouring cell so that
  // it never meets another object nor leaves the canvas.
  if (rng.chance(1, 2)) {
    int mover = int(rng.below(count));
    int cell = cells[mover];
    std::vector<Direction> free;
    for (Direction d : {Direction::Left, Direction::Right, Direction::Up, Direction::Down}) {
      int dx, dy;
      step_of(d, dx, dy);
      int cx = cell % 3 + dx, cy = cell / 3 + dy;
      if (cx < 0 || cx > 2 || cy < 0 || cy > 2) continue;
      if (std::find(cells.begin(), cells.begin() + count, cy * 3 + cx) != cells.begin() + count) continue;
      free.push_back(d);
    }
    if (!free.empty()) {
      scene.objects[mover].motion = free[rng.below(free.size())];
      scene.objects[mover].speed = Speed(rng.below(2));
    }
  }
  canonicalize(scene);
  return scene;
}

std::string to_json(const Scene& scene) {
  nlohmann::json objects = nlohmann::json::array();
  for (const auto& o : scene.objects) {
    nlohmann::json j = {{"shape", name(o.shape)}, {"colour", name(o.colour)}, {"size", name(o.size)},
                        {"x", o.x},              {"y", o.y}};
    if (o.motion != Direction::None) {
      j["motion"] = name(o.motion);
      j["speed"] = name(o.speed);
    }
    objects.push_back(j);
  }
  return nlohmann::json({{"seed", scene.seed}, {"index", scene.index}, {"objects", objects}}).dump();
}

Scene scene_from_json(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Scene scene;
    for (const char* key : {"seed", "index"})
      if (j.contains(key) && !j[key].is_number_unsigned())
        throw Error(std::string("scene: ") + key + " must be an unsigned integer");
    scene.seed = j.value("seed", uint64_t(0));
    scene.index = j.value("index", uint64_t(0));
    if (j.at("objects").size() > 64) throw Error("scene: more than 64 objects");
    for (const auto& item : j.at("objects")) {
      Object o;
      auto word = [&](const char* key) { return item.at(key).get<std::string>(); };
      auto bad = [&](const char* key) { return Error(std::string("scene: bad ") + key + " '" + word(key) + "'"); };
      if (auto v = shape_named(word("shape"))) o.shape = *v; else throw bad("shape");
      if (auto v = colour_named(word("colour"))) o.colour = *v; else throw bad("colour");
      if (auto v = size_named(word("size"))) o.size = *v; else throw bad("size");
      for (const char* axis : {"x", "y"}) {
        const auto& v = item.at(axis);
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= kWorldSize)
          throw Error(std::string("scene: ") + axis + " must be an integer from 0 to " + std::to_string(kWorldSize - 1));
        (axis[0] == 'x' ? o.x : o.y) = int(v.get<int64_t>());
      }
      if (item.contains("motion")) {
        if (auto v = direction_named(word("motion"))) o.motion = *v; else throw bad("motion");
        if (auto v = speed_named(word("speed"))) o.speed = *v; else throw bad("speed");
      }
      scene.objects.push_back(o);
    }
    return scene;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("scene: ") + e.what());
  }
}

std::string scene_id(uint64_t seed, uint64_t index) {
  char id[64];
  std::snprintf(id, sizeof id, "s%llu-%06llu", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(index));
  return id;
}

}  // namespace mm::world
