#include "generate/layout.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::generate {

namespace {

using nlohmann::json;

const char* const kMarkerNames[] = {
    "<|bos|>",        "<|eos|>",       "<|system|>",     "<|user|>",        "<|assistant|>",   "<|end_turn|>",
    "<|begin_text|>", "<|end_text|>",  "<|begin_code|>", "<|end_code|>",    "<|begin_image|>", "<|end_image|>",
    "<|row_break|>",  "<|frame_break|>", "<|begin_video|>", "<|end_video|>", "<|begin_audio|>", "<|end_audio|>",
};
static_assert(sizeof kMarkerNames / sizeof *kMarkerNames == size_t(Marker::Count));

const char* const kModalities[] = {"text", "code", "image", "video", "audio"};

bool known_modality(const std::string& m) {
  return std::find(std::begin(kModalities), std::end(kModalities), m) != std::end(kModalities);
}

[[noreturn]] void layout_error(const std::string& what) { throw Error("layout: " + what); }

uint32_t id_value(const json& v, const std::string& what) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    layout_error(what + " must be a non-negative integer");
  uint64_t n = v.get<uint64_t>();
  if (n > UINT32_MAX) layout_error(what + " above 2^32");
  return uint32_t(n);
}

}  // namespace

const char* marker_name(Marker marker) { return kMarkerNames[size_t(marker)]; }

Marker begin_marker(const std::string& modality) {
  if (modality == "text") return Marker::BeginText;
  if (modality == "code") return Marker::BeginCode;
  if (modality == "image") return Marker::BeginImage;
  if (modality == "video") return Marker::BeginVideo;
  if (modality == "audio") return Marker::BeginAudio;
  throw Error("unknown modality \"" + modality + "\"");
}

Marker end_marker(const std::string& modality) { return Marker(size_t(begin_marker(modality)) + 1); }

Marker role_marker(const std::string& role) {
  if (role == "system") return Marker::System;
  if (role == "user") return Marker::User;
  if (role == "assistant") return Marker::Assistant;
  throw Error("unknown role \"" + role + "\" (system, user or assistant)");
}

bool is_visual(const std::string& modality) { return modality == "image" || modality == "video"; }

// ---- Layout

Layout Layout::from_json(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) layout_error("not a JSON object");
  Layout layout;
  auto vocab = j.find("vocab_size");
  if (vocab == j.end()) layout_error("missing \"vocab_size\"");
  layout.vocab_size_ = id_value(*vocab, "\"vocab_size\"");

  auto markers = j.find("markers");
  if (markers == j.end() || !markers->is_object()) layout_error("missing \"markers\" object");
  for (size_t i = 0; i < size_t(Marker::Count); ++i) {
    auto m = markers->find(kMarkerNames[i]);
    if (m == markers->end()) layout_error(std::string("marker ") + kMarkerNames[i] + " missing");
    layout.markers_[i] = id_value(*m, std::string("marker ") + kMarkerNames[i]);
  }
  for (auto it = markers->begin(); it != markers->end(); ++it)
    if (std::find(std::begin(kMarkerNames), std::end(kMarkerNames), it.key()) == std::end(kMarkerNames))
      layout_error("unknown marker \"" + it.key() + "\"");

  auto ranges = j.find("ranges");
  if (ranges == j.end() || !ranges->is_object() || ranges->empty())
    layout_error("missing \"ranges\" object (one code range per modality)");
  for (auto it = ranges->begin(); it != ranges->end(); ++it) {
    const std::string& name = it.key();
    if (!known_modality(name)) layout_error("range of unknown modality \"" + name + "\"");
    if (it->is_string()) continue;
    if (!it->is_object()) layout_error("range \"" + name + "\" must be {\"offset\", \"size\"} or a modality's name");
    auto offset = it->find("offset"), size = it->find("size");
    if (offset == it->end() || size == it->end()) layout_error("range \"" + name + "\" needs \"offset\" and \"size\"");
    CodeRange r{id_value(*offset, "range \"" + name + "\" offset"), id_value(*size, "range \"" + name + "\" size")};
    if (r.size == 0) layout_error("range \"" + name + "\" is empty");
    layout.ranges_[name] = r;
  }
  for (auto it = ranges->begin(); it != ranges->end(); ++it) {
    if (!it->is_string()) continue;
    std::string target = it->get<std::string>();
    auto found = layout.ranges_.find(target);
    if (found == layout.ranges_.end() || layout.shared_.count(target))
      layout_error("range \"" + it.key() + "\" shares \"" + target + "\", which has no range of its own");
    layout.ranges_[it.key()] = found->second;
    layout.shared_[it.key()] = target;
  }
  layout.check();
  return layout;
}

Layout Layout::packed(const std::vector<std::pair<std::string, uint32_t>>& modality_sizes,
                      const std::vector<std::pair<std::string, std::string>>& shared) {
  Layout layout;
  uint64_t next = 0;
  for (size_t i = 0; i < size_t(Marker::Count); ++i) layout.markers_[i] = uint32_t(next++);
  for (const auto& [name, size] : modality_sizes) {
    if (!known_modality(name)) layout_error("range of unknown modality \"" + name + "\"");
    if (size == 0) layout_error("range \"" + name + "\" is empty");
    if (layout.ranges_.count(name)) layout_error("two ranges for \"" + name + "\"");
    if (next + size > UINT32_MAX) layout_error("vocabulary above 2^32");
    layout.ranges_[name] = CodeRange{uint32_t(next), size};
    next += size;
  }
  for (const auto& [name, target] : shared) {
    if (!known_modality(name)) layout_error("range of unknown modality \"" + name + "\"");
    auto found = layout.ranges_.find(target);
    if (found == layout.ranges_.end() || layout.shared_.count(target) || layout.ranges_.count(name))
      layout_error("range \"" + name + "\" cannot share \"" + target + "\"");
    layout.ranges_[name] = found->second;
    layout.shared_[name] = target;
  }
  layout.vocab_size_ = next;
  layout.check();
  return layout;
}

std::string Layout::to_json() const {
  json markers = json::object(), ranges = json::object();
  for (size_t i = 0; i < size_t(Marker::Count); ++i) markers[kMarkerNames[i]] = markers_[i];
  for (const auto& [name, r] : ranges_) {
    auto shared = shared_.find(name);
    if (shared != shared_.end())
      ranges[name] = shared->second;
    else
      ranges[name] = {{"offset", r.offset}, {"size", r.size}};
  }
  return json{{"markers", markers}, {"ranges", ranges}, {"vocab_size", vocab_size_}}.dump();
}

void Layout::check() const {
  if (vocab_size_ == 0) layout_error("\"vocab_size\" is 0");
  for (size_t i = 0; i < size_t(Marker::Count); ++i) {
    if (markers_[i] >= vocab_size_)
      layout_error(std::string("marker ") + kMarkerNames[i] + " (" + std::to_string(markers_[i]) +
                   ") outside the vocabulary of " + std::to_string(vocab_size_));
    for (size_t k = 0; k < i; ++k)
      if (markers_[k] == markers_[i])
        layout_error(std::string("markers ") + kMarkerNames[k] + " and " + kMarkerNames[i] + " share id " +
                     std::to_string(markers_[i]));
  }
  for (const auto& [name, r] : ranges_) {
    if (uint64_t(r.offset) + r.size > vocab_size_)
      layout_error("range \"" + name + "\" [" + std::to_string(r.offset) + ", " +
                   std::to_string(uint64_t(r.offset) + r.size) + ") outside the vocabulary of " +
                   std::to_string(vocab_size_));
    if (shared_.count(name)) continue;
    for (size_t i = 0; i < size_t(Marker::Count); ++i)
      if (r.contains(markers_[i]))
        layout_error(std::string("marker ") + kMarkerNames[i] + " inside range \"" + name + "\"");
    for (const auto& [other, o] : ranges_) {
      if (other >= name || shared_.count(other)) continue;
      if (r.offset < uint64_t(o.offset) + o.size && o.offset < uint64_t(r.offset) + r.size)
        layout_error("ranges \"" + other + "\" and \"" + name + "\" overlap");
    }
  }
}

const CodeRange& Layout::range(const std::string& modality) const {
  auto it = ranges_.find(modality);
  if (it == ranges_.end()) throw Error("the bundle's layout has no code range for " + modality);
  return it->second;
}

std::vector<std::string> Layout::modalities() const {
  std::vector<std::string> names;
  for (const auto& entry : ranges_) names.push_back(entry.first);
  return names;
}

bool Layout::is_marker(uint32_t id, Marker& which) const {
  for (size_t i = 0; i < size_t(Marker::Count); ++i)
    if (markers_[i] == id) {
      which = Marker(i);
      return true;
    }
  return false;
}

bool Layout::code_of(uint32_t id, std::string& modality, uint32_t& code) const {
  for (const auto& [name, r] : ranges_)
    if (r.contains(id) && !shared_.count(name)) {
      modality = name;
      code = id - r.offset;
      return true;
    }
  return false;
}

// ---- SequenceBuilder

SequenceBuilder::SequenceBuilder(const Layout& layout) : layout_(layout) { push(Marker::Bos); }

void SequenceBuilder::open_turn(const std::string& role) {
  if (in_segment()) throw Error("sequence: a turn cannot change inside a segment");
  if (role == turn_) return;
  if (!role.empty()) role_marker(role);  // validates before anything is appended
  if (!turn_.empty()) push(Marker::EndTurn);
  if (!role.empty()) push(role_marker(role));
  turn_ = role;
}

void SequenceBuilder::begin_segment(const std::string& modality, const std::string& role, const Shape& shape) {
  if (in_segment()) throw Error("sequence: a segment begins inside another");
  Marker begin = begin_marker(modality);
  range_ = layout_.range(modality);
  if (is_visual(modality) && (shape.width == 0 || shape.height == 0 || shape.frames == 0))
    throw Error("sequence: " + modality + " segment without a grid (width, height and frames in codes)");
  if (modality == "image" && shape.frames != 1) throw Error("sequence: an image has one frame");
  open_turn(role);
  push(begin);
  modality_ = modality;
  shape_ = is_visual(modality) ? shape : Shape{};
  in_segment_ = 0;
}

void SequenceBuilder::codes(const uint32_t* codes, size_t count) {
  if (!in_segment()) throw Error("sequence: codes outside a segment");
  const bool visual = is_visual(modality_);
  const uint64_t frame_codes = uint64_t(shape_.width) * shape_.height;
  for (size_t i = 0; i < count; ++i) {
    if (codes[i] >= range_.size)
      throw Error("sequence: " + modality_ + " code " + std::to_string(codes[i]) + " outside the layout's range of " +
                  std::to_string(range_.size));
    if (visual) {
      if (in_segment_ == shape_.codes())
        throw Error("sequence: more " + modality_ + " codes than its grid holds (" + std::to_string(shape_.codes()) + ")");
      if (in_segment_ > 0 && in_segment_ % frame_codes == 0) push(Marker::FrameBreak);
    }
    ids_.push_back(range_.offset + codes[i]);
    ++in_segment_;
    if (visual && in_segment_ % shape_.width == 0) push(Marker::RowBreak);
  }
}

void SequenceBuilder::end_segment() {
  if (!in_segment()) throw Error("sequence: segment end outside a segment");
  if (is_visual(modality_) && in_segment_ != shape_.codes())
    throw Error("sequence: " + modality_ + " segment has " + std::to_string(in_segment_) + " codes, its grid " +
                std::to_string(shape_.codes()));
  push(end_marker(modality_));
  modality_.clear();
}

// ---- SequenceParser

void SequenceParser::fail(uint32_t id, const std::string& why) const {
  throw Error("generated sequence: id " + std::to_string(id) + " at position " + std::to_string(position_) + ": " +
              why);
}

void SequenceParser::push(uint32_t id) {
  if (ended_) fail(id, "after <|eos|>");
  Marker m;
  if (!layout_.is_marker(id, m)) {
    if (!open_) fail(id, "a code outside any segment");
    const std::string& modality = current_.modality;
    const CodeRange& r = layout_.range(modality);
    if (!r.contains(id)) fail(id, "not a " + modality + " code");
    if (is_visual(modality) && current_.shape.width != 0 && row_length_ == current_.shape.width)
      fail(id, "row longer than the first row's " + std::to_string(current_.shape.width) + " codes");
    if (is_visual(modality) && current_.shape.height != 0 && row_length_ == 0 &&
        rows_in_frame_ == current_.shape.height)
      fail(id, "frame taller than the first frame's " + std::to_string(current_.shape.height) + " rows");
    current_.codes.push_back(id - r.offset);
    ++row_length_;
    ++position_;
    return;
  }
  const std::string& modality = current_.modality;
  switch (m) {
    case Marker::Bos:
      if (position_ != 0) fail(id, "<|bos|> after the start");
      break;
    case Marker::Eos:
      if (open_) fail(id, "<|eos|> inside a " + modality + " segment");
      ended_ = true;
      role_.clear();
      break;
    case Marker::System:
    case Marker::User:
    case Marker::Assistant:
      if (open_) fail(id, std::string(marker_name(m)) + " inside a " + modality + " segment");
      role_ = m == Marker::System ? "system" : m == Marker::User ? "user" : "assistant";
      break;
    case Marker::EndTurn:
      if (open_) fail(id, "<|end_turn|> inside a " + modality + " segment");
      if (role_.empty()) fail(id, "<|end_turn|> without an open turn");
      role_.clear();
      break;
    case Marker::BeginText:
    case Marker::BeginCode:
    case Marker::BeginImage:
    case Marker::BeginVideo:
    case Marker::BeginAudio: {
      if (open_) fail(id, std::string(marker_name(m)) + " inside a " + modality + " segment");
      const char* name = m == Marker::BeginText    ? "text"
                         : m == Marker::BeginCode  ? "code"
                         : m == Marker::BeginImage ? "image"
                         : m == Marker::BeginVideo ? "video"
                                                   : "audio";
      if (!layout_.has(name)) fail(id, std::string("the layout has no ") + name + " range");
      current_ = Segment{name, role_, Shape{}, {}};  // a grid's width and height are measured
      if (is_visual(name)) current_.shape.width = current_.shape.height = 0;
      open_ = true;
      row_length_ = rows_in_frame_ = 0;
      break;
    }
    case Marker::RowBreak:
      if (!open_ || !is_visual(modality)) fail(id, "<|row_break|> outside an image or video");
      if (row_length_ == 0) fail(id, "empty row");
      if (current_.shape.width == 0) current_.shape.width = row_length_;
      if (row_length_ != current_.shape.width)
        fail(id, "row of " + std::to_string(row_length_) + " codes, the first had " +
                     std::to_string(current_.shape.width));
      row_length_ = 0;
      ++rows_in_frame_;
      break;
    case Marker::FrameBreak:
      if (!open_ || modality != "video") fail(id, "<|frame_break|> outside a video");
      if (row_length_ != 0 || rows_in_frame_ == 0) fail(id, "frame break inside a row or before any row");
      if (current_.shape.height == 0) current_.shape.height = rows_in_frame_;
      if (rows_in_frame_ != current_.shape.height)
        fail(id, "frame of " + std::to_string(rows_in_frame_) + " rows, the first had " +
                     std::to_string(current_.shape.height));
      ++current_.shape.frames;
      rows_in_frame_ = 0;
      break;
    case Marker::EndText:
    case Marker::EndCode:
    case Marker::EndImage:
    case Marker::EndVideo:
    case Marker::EndAudio:
      if (!open_ || end_marker(modality) != m) fail(id, std::string(marker_name(m)) + " without its segment");
      if (is_visual(modality)) {
        if (row_length_ != 0) fail(id, "the last row has no row break");
        if (rows_in_frame_ == 0) fail(id, modality == "image" ? "an image without rows" : "an empty last frame");
        if (current_.shape.height == 0) current_.shape.height = rows_in_frame_;
        if (rows_in_frame_ != current_.shape.height)
          fail(id, "frame of " + std::to_string(rows_in_frame_) + " rows, the first had " +
                       std::to_string(current_.shape.height));
      }
      done_.push_back(std::move(current_));
      current_ = Segment{};
      open_ = false;
      break;
    case Marker::Count:
      break;
  }
  ++position_;
}

std::vector<SequenceParser::Segment> SequenceParser::take() {
  std::vector<Segment> out;
  out.swap(done_);
  return out;
}

// ---- Constraint

bool Constraint::Allowed::allows(uint32_t candidate) const {
  if (forced) return candidate == id;
  for (const auto& [first, last] : ranges)
    if (candidate >= first && candidate < last) return true;
  return false;
}

Constraint::Constraint(const Layout& layout, Kind kind, std::string modality)
    : layout_(&layout), kind_(kind), modality_(std::move(modality)), range_(layout.range(modality_)) {}

Constraint Constraint::visual(const Layout& layout, const std::string& modality, const Shape& shape) {
  if (!is_visual(modality)) throw Error("constraint: " + modality + " is not laid out in rows");
  if (shape.width == 0 || shape.height == 0 || shape.frames == 0)
    throw Error("constraint: " + modality + " grid must be at least 1x1 codes and 1 frame");
  if (modality == "image" && shape.frames != 1) throw Error("constraint: an image has one frame");
  Constraint c(layout, Kind::Visual, modality);
  c.shape_ = shape;
  return c;
}

Constraint Constraint::text(const Layout& layout, const std::string& modality, size_t max_codes) {
  if (modality != "text" && modality != "code") throw Error("constraint: " + modality + " is not text");
  Constraint c(layout, Kind::Text, modality);
  c.max_codes_ = max_codes;
  return c;
}

Constraint Constraint::audio(const Layout& layout, size_t count) {
  Constraint c(layout, Kind::Audio, "audio");
  c.max_codes_ = count;
  return c;
}

Constraint::Allowed Constraint::allowed() const {
  Allowed a;
  auto force = [&](Marker m) {
    a.forced = true;
    a.id = layout_->marker(m);
    return a;
  };
  if (done_) throw Error("constraint: the segment is complete");
  if (!begun_) return force(begin_marker(modality_));
  const std::pair<uint32_t, uint32_t> codes{range_.offset, range_.offset + range_.size};
  switch (kind_) {
    case Kind::Visual:
      if (column_ == shape_.width) return force(Marker::RowBreak);
      if (row_ == shape_.height) return force(frame_ + 1 < shape_.frames ? Marker::FrameBreak : end_marker(modality_));
      a.ranges.push_back(codes);
      return a;
    case Kind::Text: {
      if (codes_ >= max_codes_) return force(end_marker(modality_));
      a.ranges.push_back(codes);
      uint32_t end = layout_->marker(end_marker(modality_)), turn = layout_->marker(Marker::EndTurn);
      a.ranges.push_back({end, end + 1});
      a.ranges.push_back({turn, turn + 1});
      return a;
    }
    case Kind::Audio:
      if (codes_ == max_codes_) return force(end_marker(modality_));
      a.ranges.push_back(codes);
      return a;
  }
  return a;
}

size_t Constraint::max_ids() const {
  if (kind_ == Kind::Visual) return shape_.codes() + uint64_t(shape_.height) * shape_.frames + shape_.frames + 1;
  return max_codes_ + 2;
}

void Constraint::accept(uint32_t id) {
  Allowed a = allowed();
  if (!a.allows(id))
    throw Error("constraint: id " + std::to_string(id) + " is not allowed in a " + modality_ + " segment here");
  if (!begun_) {
    begun_ = true;
    return;
  }
  if (!a.forced && range_.contains(id)) {
    ++codes_;
    ++column_;
    return;
  }
  // A marker: a row or frame break, or the end (text also ends at <|end_turn|>).
  if (kind_ == Kind::Visual && id == layout_->marker(Marker::RowBreak)) {
    column_ = 0;
    ++row_;
  } else if (kind_ == Kind::Visual && id == layout_->marker(Marker::FrameBreak)) {
    row_ = 0;
    ++frame_;
  } else {
    done_ = true;
  }
}

}  // namespace mm::generate
