#include "stream/dump.h"

#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "error.h"
#include "stream/writer.h"

namespace mm::stream {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, const uint8_t* data, size_t size) {
  size_t start = out.size();
  out.resize(start + 2 * size);
  for (size_t i = 0; i < size; ++i) {
    out[start + 2 * i] = kHexDigits[data[i] >> 4];
    out[start + 2 * i + 1] = kHexDigits[data[i] & 15];
  }
}

void put(Sink& sink, const std::string& text) { sink.write(text.data(), text.size()); }

}  // namespace

void dump(Reader& reader, Sink& text) {
  std::string line;
  bool need_header = true;
  for (;;) {
    Event event = reader.next();
    if (event == Event::Eof) break;
    if (need_header) {
      const StreamHeader& h = reader.stream_header();
      put(text, "stream " + std::to_string(h.major) + "." + std::to_string(h.minor) +
                    " level=" + std::to_string(h.level) + "\n");
      need_header = false;
    }
    line.clear();
    switch (event) {
      case Event::SegmentBegin:
        line = "segment " + reader.segment().json;
        break;
      case Event::Tokens: {
        line = "tokens";
        char number[16];
        for (uint32_t code : reader.tokens()) {
          auto end = std::to_chars(number, number + sizeof number, code).ptr;
          line += ' ';
          line.append(number, end);
        }
        break;
      }
      case Event::Tensor: {
        const Tensor& t = reader.tensor();
        line = "tensor " + t.name + " " + dtype_name(t.dtype) + " ";
        if (t.shape.empty()) line += "-";
        for (size_t i = 0; i < t.shape.size(); ++i) line += (i ? "x" : "") + std::to_string(t.shape[i]);
        line += " ";
        append_hex(line, t.data.data(), t.data.size());
        break;
      }
      case Event::SegmentEnd:
        line = "segment-end";
        break;
      case Event::Ancillary:
        line = "record " + std::to_string(reader.record().type) + " " + std::to_string(reader.record().param) + " ";
        append_hex(line, reader.payload().data(), reader.payload().size());
        break;
      case Event::MemberEnd:
        line = "end";
        need_header = true;
        break;
      case Event::Eof:
        break;
    }
    line += '\n';
    put(text, line);
  }
  text.flush();
}

namespace {

// Reads lines of any length; '\n' ends a line, a final line may lack it.
class LineReader {
 public:
  explicit LineReader(Source& source) : source_(source) {}
  bool next(std::string& line) {
    line.clear();
    for (;;) {
      if (position_ == buffer_.size()) {
        buffer_.resize(1 << 16);
        buffer_.resize(source_.read(buffer_.data(), buffer_.size()));
        position_ = 0;
        if (buffer_.empty()) {
          if (line.empty() && !pending_) return false;
          pending_ = false;
          ++number_;
          return true;
        }
      }
      pending_ = true;
      const char* start = buffer_.data() + position_;
      const void* newline = std::memchr(start, '\n', buffer_.size() - position_);
      if (newline) {
        size_t n = static_cast<const char*>(newline) - start;
        line.append(start, n);
        position_ += n + 1;
        pending_ = false;
        ++number_;
        return true;
      }
      line.append(start, buffer_.size() - position_);
      position_ = buffer_.size();
    }
  }
  size_t number() const { return number_; }

 private:
  Source& source_;
  std::vector<char> buffer_;
  size_t position_ = 0;
  size_t number_ = 0;
  bool pending_ = false;
};

std::string_view next_word(std::string_view& rest) {
  size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  size_t end = rest.find(' ');
  std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return word;
}

template <typename T>
T parse_number(std::string_view word, const char* what) {
  T value{};
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (word.empty() || ec != std::errc() || end != word.data() + word.size())
    throw Error("bad " + std::string(what) + " \"" + std::string(word) + "\"");
  return value;
}

std::vector<uint8_t> parse_hex(std::string_view hex) {
  if (hex.size() % 2) throw Error("hex data with an odd number of digits");
  std::vector<uint8_t> bytes(hex.size() / 2);
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw Error(std::string("bad hex digit '") + c + "'");
  };
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  return bytes;
}

}  // namespace

void pack(Source& text, Sink& out) {
  LineReader lines(text);
  std::string line;
  std::unique_ptr<Writer> writer;
  std::vector<uint32_t> codes;
  bool member_open = false;
  try {
    while (lines.next(line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string_view rest(line);
      std::string_view keyword = next_word(rest);
      if (keyword.empty() || keyword[0] == '#') continue;
      if (keyword == "stream") {
        if (member_open) throw Error("\"stream\" before the previous stream's \"end\"");
        std::string_view version = next_word(rest);
        if (version.substr(0, 2) != std::to_string(kVersionMajor) + ".")
          throw Error("unsupported stream version \"" + std::string(version) + "\"");
        int level = WriterOptions{}.level;
        std::string_view level_word = next_word(rest);
        if (!level_word.empty()) {
          if (level_word.substr(0, 6) != "level=") throw Error("expected level=N after the version");
          level = parse_number<int>(level_word.substr(6), "level");
        }
        if (!next_word(rest).empty()) throw Error("unexpected text at the end of the line");
        if (writer) {
          writer->next_member(level);
        } else {
          WriterOptions options;
          options.level = level;
          writer = std::make_unique<Writer>(out, options);
        }
        member_open = true;
        continue;
      }
      if (!member_open) throw Error("\"" + std::string(keyword) + "\" before a \"stream\" line");
      if (keyword == "segment") {
        size_t start = rest.find_first_not_of(' ');
        writer->begin_segment(std::string(start == std::string_view::npos ? "" : rest.substr(start)));
      } else if (keyword == "tokens") {
        codes.clear();
        for (std::string_view word = next_word(rest); !word.empty(); word = next_word(rest))
          codes.push_back(parse_number<uint32_t>(word, "code"));
        writer->tokens(codes);
        writer->flush();
      } else if (keyword == "tensor") {
        Tensor tensor;
        tensor.name = std::string(next_word(rest));
        tensor.dtype = dtype_from_name(std::string(next_word(rest)));
        std::string_view dims = next_word(rest);
        if (dims.empty()) throw Error("tensor without a shape");
        if (dims != "-") {
          while (!dims.empty()) {
            size_t x = dims.find('x');
            tensor.shape.push_back(parse_number<uint64_t>(dims.substr(0, x), "dimension"));
            dims.remove_prefix(x == std::string_view::npos ? dims.size() : x + 1);
          }
        }
        tensor.data = parse_hex(next_word(rest));
        writer->tensor(tensor);
      } else if (keyword == "segment-end") {
        writer->end_segment();
      } else if (keyword == "record") {
        auto type = parse_number<uint8_t>(next_word(rest), "record type");
        auto param = parse_number<uint16_t>(next_word(rest), "record parameter");
        writer->ancillary_record(type, param, parse_hex(next_word(rest)));
      } else if (keyword == "end") {
        writer->finish();
        member_open = false;
      } else {
        throw Error("unknown keyword \"" + std::string(keyword) + "\"");
      }
      if (!next_word(rest).empty() && keyword != "segment") throw Error("unexpected text at the end of the line");
    }
    if (member_open) throw Error("the text ends without \"end\"");
    if (!writer) throw Error("no \"stream\" line: nothing to pack");
  } catch (const BrokenPipe&) {
    throw;
  } catch (const Error& e) {
    throw Error("line " + std::to_string(lines.number()) + ": " + e.what());
  }
  out.flush();
}

}  // namespace mm::stream
