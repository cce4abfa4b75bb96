// The format is specified in man/mmt.5; this checks the implementation against its text.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "stream/dump.h"
#include "stream/format.h"

using namespace mm::stream;

namespace {

std::string between(const std::string& text, const std::string& begin, const std::string& end) {
  size_t a = text.find(begin);
  size_t b = text.find(end);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  a = text.find('\n', a) + 1;
  return text.substr(a, b - a);
}

// The layout xxd prints by default: offset, 8 groups of 2 bytes, then the bytes as text.
std::string xxd(const std::vector<uint8_t>& bytes) {
  std::string out;
  char buf[16];
  for (size_t line = 0; line < bytes.size(); line += 16) {
    std::snprintf(buf, sizeof buf, "%08zx:", line);
    out += buf;
    std::string text;
    for (size_t i = line; i < line + 16; ++i) {
      if (i % 2 == 0) out += ' ';
      if (i < bytes.size()) {
        std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
        out += buf;
        text += bytes[i] >= 0x20 && bytes[i] < 0x7f ? char(bytes[i]) : '.';
      } else {
        out += "  ";
      }
    }
    out += "  " + text + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("mmt(5): the example text packs into the example bytes") {
  std::ifstream in(MM_SOURCE_DIR "/man/mmt.5");
  REQUIRE(in);
  std::stringstream page;
  page << in.rdbuf();
  std::string text = between(page.str(), "BEGIN EXAMPLE TEXT", ".\\\" END EXAMPLE TEXT");
  std::string bytes = between(page.str(), "BEGIN EXAMPLE BYTES", ".\\\" END EXAMPLE BYTES");
  for (size_t at; (at = bytes.find("\\e")) != std::string::npos;) bytes.replace(at, 2, "\\");

  MemorySource source(text.data(), text.size());
  MemorySink stream;
  pack(source, stream);
  CHECK(xxd(stream.bytes()) == bytes);
  CHECK(page.str().find("packs into these " + std::to_string(stream.bytes().size()) + " bytes") != std::string::npos);
}

TEST_CASE("mmt(5): header sizes and the signature are the documented ones") {
  CHECK(kStreamHeaderSize == 16);
  CHECK(kRecordHeaderSize == 24);
  CHECK(kSignature == std::array<uint8_t, 8>{0x89, 0x4d, 0x4d, 0x54, 0x0d, 0x0a, 0x1a, 0x0a});
  CHECK(std::string(record_type_name(1)) == "segment");
  CHECK(std::string(record_type_name(2)) == "tokens");
  CHECK(std::string(record_type_name(3)) == "tensor");
  CHECK(std::string(record_type_name(4)) == "segment-end");
  CHECK(std::string(record_type_name(5)) == "end");
}
