// How stream segments sit in the backbone's one sequence: each modality's tokenizer codes
// occupy a range of the vocabulary, and marker tokens frame turns and segments (images as
// rows ended by a row break, video frames separated by a frame break, as Emu3 does). The
// same grammar maps generated ids back to segments and constrains decoding.
//
// The grammar, one sequence:
//   <|bos|> ( [role marker] segment* [<|end_turn|>] )* [<|eos|>]
//   text:  <|begin_text|> code* <|end_text|>          (code: <|begin_code|> ... <|end_code|>)
//   image: <|begin_image|> ( code{W} <|row_break|> ){H} <|end_image|>
//   video: <|begin_video|> frame ( <|frame_break|> frame )* <|end_video|>, frame = image rows
//   audio: <|begin_audio|> code* <|end_audio|>
// A role marker opens a turn; the turn is closed by <|end_turn|> when the role changes, so
// the ids of a stream are always a prefix of the ids of that stream with segments appended
// (which is what lets a saved KV state serve a longer stream).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mm::generate {

enum class Marker {
  Bos, Eos, System, User, Assistant, EndTurn,
  BeginText, EndText, BeginCode, EndCode,
  BeginImage, EndImage, RowBreak, FrameBreak, BeginVideo, EndVideo, BeginAudio, EndAudio,
  Count
};

const char* marker_name(Marker marker);  // "<|begin_image|>"
// The begin and end markers of a modality's segments; throws mm::Error for an unknown one.
Marker begin_marker(const std::string& modality);
Marker end_marker(const std::string& modality);
// The marker that opens a turn of `role` (system, user, assistant); throws mm::Error.
Marker role_marker(const std::string& role);
bool is_visual(const std::string& modality);  // image or video: laid out in rows

struct CodeRange {
  uint32_t offset = 0;  // backbone id of code 0
  uint32_t size = 0;    // the tokenizer's vocabulary size
  bool contains(uint32_t id) const { return id >= offset && id - offset < size; }
};

// Grid of an image or of each video frame, in codes; frames 1 for images.
struct Shape {
  uint32_t width = 0, height = 0, frames = 1;
  uint64_t codes() const { return uint64_t(width) * height * frames; }
  bool operator==(const Shape& o) const { return width == o.width && height == o.height && frames == o.frames; }
};

class Layout {
 public:
  // From the bundle config's "layout" object:
  //   {"markers": {"<|bos|>": 0, ...every marker...},
  //    "ranges": {"text": {"offset": N, "size": N}, "code": "text", "image": {...}, "video": "image", ...},
  //    "vocab_size": N}
  // A range given as a modality's name shares that modality's ids (code uses the text
  // tokenizer; video the image one). Markers are distinct, outside every range; ranges do
  // not overlap; everything fits the vocabulary. Throws mm::Error naming the fault.
  static Layout from_json(const std::string& json);
  // A compact layout: markers first, then each modality's range in the order given;
  // `shared` maps a modality to the one whose range it uses ({"code", "text"}).
  static Layout packed(const std::vector<std::pair<std::string, uint32_t>>& modality_sizes,
                       const std::vector<std::pair<std::string, std::string>>& shared = {});
  std::string to_json() const;  // the form from_json reads

  uint32_t marker(Marker m) const { return markers_[size_t(m)]; }
  bool has(const std::string& modality) const { return ranges_.count(modality) > 0; }
  const CodeRange& range(const std::string& modality) const;  // throws mm::Error
  uint64_t vocab_size() const { return vocab_size_; }
  std::vector<std::string> modalities() const;
  // What an id is: a marker, or a code of a modality (the first modality holding it, for
  // shared ranges), or nothing.
  bool is_marker(uint32_t id, Marker& which) const;
  bool code_of(uint32_t id, std::string& modality, uint32_t& code) const;

 private:
  std::array<uint32_t, size_t(Marker::Count)> markers_{};
  std::map<std::string, CodeRange> ranges_;
  std::map<std::string, std::string> shared_;  // modality -> the one whose range it uses
  uint64_t vocab_size_ = 0;
  void check() const;
};

// Segments -> backbone ids. Roles open turns; a change of role closes the previous turn.
class SequenceBuilder {
 public:
  // Starts the sequence with <|bos|>.
  explicit SequenceBuilder(const Layout& layout);
  // `shape` is required for image and video (grid and frames), ignored otherwise.
  void begin_segment(const std::string& modality, const std::string& role, const Shape& shape = {});
  // Throws mm::Error for a code beyond the modality's range or more codes than the shape.
  void codes(const uint32_t* codes, size_t count);
  void codes(const std::vector<uint32_t>& c) { codes(c.data(), c.size()); }
  // Throws mm::Error when an image or video has fewer codes than its shape.
  void end_segment();
  // Closes the open turn (if its role differs) and opens one for `role`, e.g. the
  // assistant's before generating; an empty role only closes the open turn.
  void open_turn(const std::string& role);
  const std::vector<uint32_t>& ids() const { return ids_; }
  const std::string& turn() const { return turn_; }
  bool in_segment() const { return !modality_.empty(); }

 private:
  void push(Marker m) { ids_.push_back(layout_.marker(m)); }

  const Layout& layout_;
  std::vector<uint32_t> ids_;
  std::string turn_;
  std::string modality_;
  CodeRange range_;
  Shape shape_;
  uint64_t in_segment_ = 0;  // codes of the open segment so far
};

// Backbone ids -> segments: the inverse of SequenceBuilder, fed one id at a time.
class SequenceParser {
 public:
  struct Segment {
    std::string modality, role;
    Shape shape;  // images and video: measured from the row and frame breaks
    std::vector<uint32_t> codes;
    bool operator==(const Segment& o) const {
      return modality == o.modality && role == o.role && shape == o.shape && codes == o.codes;
    }
  };
  explicit SequenceParser(const Layout& layout) : layout_(layout) {}
  // Throws mm::Error for an id that breaks the grammar (a code outside its segment, rows
  // of unequal width, a marker out of place, an id outside the layout).
  void push(uint32_t id);
  void push(const std::vector<uint32_t>& ids) {
    for (uint32_t id : ids) push(id);
  }
  // Segments completed so far, oldest first; take() hands them over.
  std::vector<Segment> take();
  bool in_segment() const { return open_; }
  // The segment being parsed (its codes so far), valid while in_segment().
  const Segment& current() const { return current_; }
  const std::string& role() const { return role_; }

 private:
  [[noreturn]] void fail(uint32_t id, const std::string& why) const;

  const Layout& layout_;
  std::vector<Segment> done_;
  Segment current_;
  std::string role_;
  bool open_ = false;
  bool ended_ = false;  // after <|eos|>
  uint64_t position_ = 0;
  uint32_t row_length_ = 0, rows_in_frame_ = 0;
};

// What may come next while generating one segment of a given shape.
class Constraint {
 public:
  struct Allowed {
    bool forced = false;
    uint32_t id = 0;                                    // when forced
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // [first, last) otherwise
    bool allows(uint32_t id) const;
  };
  // An image or video of `shape`: begin marker, rows of exactly `width` codes each ended by
  // a row break, frames separated by frame breaks, then the end marker.
  static Constraint visual(const Layout& layout, const std::string& modality, const Shape& shape);
  // Text or code: the begin marker, then codes until the end marker (or <|end_turn|>, which
  // also ends it), at most `max_codes` of them, after which the end marker is forced.
  static Constraint text(const Layout& layout, const std::string& modality, size_t max_codes);
  // Audio: exactly `count` codes between its markers.
  static Constraint audio(const Layout& layout, size_t count);

  Allowed allowed() const;
  void accept(uint32_t id);  // throws mm::Error for an id that allowed() excludes
  bool done() const { return done_; }
  size_t codes() const { return codes_; }  // codes accepted so far
  size_t max_ids() const;                   // the most ids the segment can take, markers included
  const std::string& modality() const { return modality_; }
  const Shape& shape() const { return shape_; }

 private:
  enum class Kind { Visual, Text, Audio };
  Constraint(const Layout& layout, Kind kind, std::string modality);

  const Layout* layout_ = nullptr;
  Kind kind_;
  std::string modality_;
  CodeRange range_;
  Shape shape_;
  size_t max_codes_ = 0;
  bool begun_ = false;
  bool done_ = false;
  size_t codes_ = 0;
  uint32_t column_ = 0, row_ = 0, frame_ = 0;  // visual: where the next id goes
};

}  // namespace mm::generate
