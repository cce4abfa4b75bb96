// The world: scenes of one to three shapes on a plain background, some moving. A scene is
// a pure function of (seed, index), the same on every machine. Positions are in world
// units on a 96x96 square (origin top left, y down), whatever size it is rendered at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mm::world {

enum class Shape { Circle, Square, Triangle };
enum class Colour { Red, Orange, Yellow, Green, Blue, Purple };
enum class Size { Small, Medium, Large };
enum class Direction { None, Left, Right, Up, Down };
enum class Speed { Slow, Fast };

constexpr int kShapes = 3, kColours = 6, kSizes = 3;

// The canvas is a 3x3 grid of 32-unit cells; every object starts in a cell of its own,
// jittered at most kJitter units from the cell's centre, so relative positions are never
// ambiguous (same row: |dy| <= 4; different rows: |dy| >= 28) and objects never touch.
constexpr int kWorldSize = 96;
constexpr int kCell = 32;
constexpr int kJitter = 2;
// Across a video a slow object travels half a cell, a fast one a whole cell.
constexpr int kSlowTravel = 16, kFastTravel = 32;
constexpr int kVideoFrames = 16;
constexpr int kVideoFps = 8;

// The held-out evaluation scenes: seed 0, indices [0, kHeldOutEnd). Training corpora use
// any other (seed, index), for seed 0 only indices from kHeldOutEnd on.
constexpr uint64_t kHeldOutSeed = 0;
constexpr uint64_t kHeldOutEnd = 10000;
bool is_held_out(uint64_t seed, uint64_t index);

struct Object {
  Shape shape = Shape::Circle;
  Colour colour = Colour::Red;
  Size size = Size::Medium;
  int x = 0, y = 0;  // centre of the bounding box, world units, in the first frame
  Direction motion = Direction::None;
  Speed speed = Speed::Slow;
  bool operator==(const Object& o) const {
    return shape == o.shape && colour == o.colour && size == o.size && x == o.x && y == o.y && motion == o.motion &&
           speed == o.speed;
  }
};

struct Scene {
  uint64_t seed = 0, index = 0;
  std::vector<Object> objects;  // canonical order: by shape, then colour (colours are unique)
  bool operator==(const Scene& o) const { return seed == o.seed && index == o.index && objects == o.objects; }
};

Scene generate_scene(uint64_t seed, uint64_t index);
// Sorts objects into the canonical order captions and code use.
void canonicalize(Scene& scene);
// What an image shows of a scene: its first frame, nothing moving.
Scene still(Scene scene);
// The same objects, still, in other places, so that only placement tells the two apart
// (a contrastive loss's hardest negative): with two or three objects each takes the place
// of the next in canonical order (every relation the caption names changes); a lone object
// moves to the cell mirrored through the centre (from the centre, to the top left). Same
// seed and index.
Scene placement_twin(const Scene& scene);
// The same objects, still, and one more, in an empty cell with a colour the scene lacks,
// drawn from the scene's seed and index; nothing for a scene that already holds three.
std::optional<Scene> object_added(const Scene& scene);

// Edge length (square), diameter (circle) or base and height (triangle), world units.
int extent_of(Size size);
// Where an object's centre is at time t in [0, 1] across a video.
void position_at(const Object& object, double t, double& x, double& y);
// The grid cell (0..2) a coordinate falls in.
int cell_of(double coordinate);
// The grid cell (0..8, row by row from the top left) a point falls in.
int cell_at(double x, double y);

// Names as captions and the drawing language spell them; parsing returns nothing for an
// unknown word.
const char* name(Shape);
const char* name(Colour);
const char* name(Size);
const char* name(Direction);
const char* name(Speed);
std::optional<Shape> shape_named(const std::string&);
std::optional<Colour> colour_named(const std::string&);
std::optional<Size> size_named(const std::string&);
std::optional<Direction> direction_named(const std::string&);
std::optional<Speed> speed_named(const std::string&);

struct Rgb {
  uint8_t r, g, b;
};
Rgb rgb_of(Colour);
constexpr Rgb kBackground{245, 245, 245};

// JSON form, used in corpus manifests: {"seed":0,"index":3,"objects":[{"shape":"circle",
// "colour":"red","size":"small","x":16,"y":48,"motion":"left","speed":"fast"}]}.
std::string to_json(const Scene&);
Scene scene_from_json(const std::string&);  // throws mm::Error

// "s0-000042": how corpus files and manifest ids name a scene.
std::string scene_id(uint64_t seed, uint64_t index);

}  // namespace mm::world
