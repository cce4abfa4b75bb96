#include "world/drawing.h"

#include <cstdlib>

#include "error.h"

namespace mm::world {

std::string to_code(const std::vector<Object>& objects) {
  std::string code;
  for (const auto& o : objects) {
    code += std::string(name(o.shape)) + " " + name(o.colour) + " " + name(o.size) + " at " + std::to_string(o.x) +
            " " + std::to_string(o.y);
    if (o.motion != Direction::None) code += std::string(" moving ") + name(o.motion) + " " + name(o.speed);
    code += "\n";
  }
  return code;
}

namespace {

class LineParser {
 public:
  LineParser(const std::string& line, size_t number) : line_(line), number_(number) {}

  // The next blank-separated word, or "" at the end.
  std::string word() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t' || line_[pos_] == '\r')) ++pos_;
    size_t start = pos_;
    while (pos_ < line_.size() && line_[pos_] != ' ' && line_[pos_] != '\t' && line_[pos_] != '\r') ++pos_;
    return line_.substr(start, pos_ - start);
  }

  template <typename T>
  T expect(std::optional<T> (*lookup)(const std::string&), const char* what) {
    std::string w = word();
    if (auto v = lookup(w)) return *v;
    throw fault(std::string("expected ") + what + ", got " + shown(w));
  }

  void keyword(const char* expected) {
    std::string w = word();
    if (w != expected) throw fault(std::string("expected '") + expected + "', got " + shown(w));
  }

  int coordinate(const char* axis) {
    std::string w = word();
    bool digits = !w.empty() && w.size() <= 2;
    for (char c : w) digits = digits && c >= '0' && c <= '9';
    int value = digits ? std::atoi(w.c_str()) : -1;
    if (value < 0 || value >= kWorldSize)
      throw fault(std::string("expected ") + axis + " from 0 to " + std::to_string(kWorldSize - 1) + ", got " +
                  shown(w));
    return value;
  }

  Error fault(const std::string& what) const { return Error("line " + std::to_string(number_) + ": " + what); }

  static std::string shown(const std::string& w) {
    if (w.empty()) return "the end of the line";
    std::string out = "'";
    for (unsigned char c : w.substr(0, 32)) out += c >= 0x20 && c < 0x7f ? char(c) : '?';
    return out + (w.size() > 32 ? "...'" : "'");
  }

 private:
  const std::string& line_;
  size_t number_;
  size_t pos_ = 0;
};

const char* const kShapeList = "a shape (circle, square, triangle)";
const char* const kColourList = "a colour (red, orange, yellow, green, blue, purple)";
const char* const kSizeList = "a size (small, medium, large)";

}  // namespace

std::vector<Object> parse_code(const std::string& code) {
  if (code.size() > kMaxDrawingBytes)
    throw Error("the drawing is " + std::to_string(code.size()) + " bytes, more than " +
                std::to_string(kMaxDrawingBytes));
  std::vector<Object> objects;
  size_t start = 0, number = 0;
  while (start < code.size()) {
    size_t end = code.find('\n', start);
    if (end == std::string::npos) end = code.size();
    std::string line = code.substr(start, end - start);
    start = end + 1;
    ++number;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    LineParser p(line, number);
    std::string first = p.word();
    if (first.empty()) continue;
    Object o;
    if (auto s = shape_named(first)) o.shape = *s;
    else throw p.fault(std::string("expected ") + kShapeList + ", got " + LineParser::shown(first));
    o.colour = p.expect(colour_named, kColourList);
    o.size = p.expect(size_named, kSizeList);
    p.keyword("at");
    o.x = p.coordinate("x");
    o.y = p.coordinate("y");
    std::string next = p.word();
    if (next == "moving") {
      o.motion = p.expect(direction_named, "a direction (left, right, up, down)");
      if (o.motion == Direction::None) throw p.fault("expected a direction (left, right, up, down), got 'none'");
      o.speed = p.expect(speed_named, "a speed (slow, fast)");
      next = p.word();
    }
    if (!next.empty()) throw p.fault("unexpected " + LineParser::shown(next) + " after the object");
    if (objects.size() == kMaxDrawingObjects)
      throw p.fault("more than " + std::to_string(kMaxDrawingObjects) + " objects");
    objects.push_back(o);
  }
  return objects;
}

}  // namespace mm::world
