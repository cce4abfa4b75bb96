// The drawing language: a scene as code, one object per line, specified in mm-world(1),
// section DRAWING LANGUAGE:
//
//     # comment
//     circle red small at 16 48
//     square blue large at 48 48 moving left fast
//
// SHAPE COLOUR SIZE "at" X Y ["moving" DIRECTION SPEED], X and Y the centre in world units
// (integers 0 to 95), words separated by blanks; blank lines and '#' comments are ignored.
#pragma once

#include <string>
#include <vector>

#include "world/scene.h"

namespace mm::world {

constexpr size_t kMaxDrawingObjects = 64;
constexpr size_t kMaxDrawingBytes = 1 << 16;

// The canonical code of a list of objects: one line each, in the order given.
std::string to_code(const std::vector<Object>& objects);
// Throws mm::Error "line N: ..." at the first fault; an empty program is valid.
std::vector<Object> parse_code(const std::string& code);

}  // namespace mm::world
