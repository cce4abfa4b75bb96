#include <doctest/doctest.h>

#include <random>

#include "error.h"
#include "random_streams.h"
#include "stream/dump.h"

using namespace mm;
using namespace mm::stream;

namespace {

std::string dump_text(const std::vector<uint8_t>& bytes) {
  MemorySource source(bytes.data(), bytes.size());
  Reader reader(source);
  MemorySink text;
  dump(reader, text);
  return std::string(text.bytes().begin(), text.bytes().end());
}

std::vector<uint8_t> pack_text(const std::string& text) {
  MemorySource source(text.data(), text.size());
  MemorySink out;
  pack(source, out);
  return out.bytes();
}

}  // namespace

TEST_CASE("property: dump then pack gives back the same bytes") {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto bytes = testing::write_stream(testing::random_stream(rng));
    CHECK(pack_text(dump_text(bytes)) == bytes);
  }
}

TEST_CASE("concatenated streams dump and pack member by member") {
  std::mt19937_64 rng(1);
  auto spec = testing::random_stream(rng);
  auto a = testing::write_stream(spec);
  auto both = a;
  both.insert(both.end(), a.begin(), a.end());
  CHECK(pack_text(dump_text(both)) == both);
}

TEST_CASE("the text form is what mmt(5) shows") {
  std::string text =
      "# a comment\n"
      "stream 1.0 level=3\n"
      "segment {\"modality\":\"text\",\"tokenizer\":\"bytes\",\"vocab_size\":256}\n"
      "tokens 104 105\n"
      "tensor embedding f32 2 0000803f00000040\n"
      "segment-end\n"
      "record 200 0 0102\n"
      "end\n";
  auto bytes = pack_text(text);
  CHECK(dump_text(bytes) == text.substr(text.find('\n') + 1));
}

TEST_CASE("an edited dump packs into a valid stream") {
  std::string text =
      "stream 1.0 level=3\n"
      "segment {\"modality\":\"text\",\"tokenizer\":\"bytes\",\"vocab_size\":256}\n"
      "tokens 104 105\n"
      "tokens 33 33 33\n"
      "segment-end\n"
      "end\n";
  auto bytes = pack_text(text);
  CHECK(dump_text(bytes) == text);
}

TEST_CASE("bad text names its line") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "no \"stream\" line"},
      {"# only a comment\n", "no \"stream\" line"},
      {"tokens 1\n", "line 1: \"tokens\" before a \"stream\" line"},
      {"stream 2.0\n", "line 1: unsupported stream version"},
      {"stream 1.0 level=x\n", "line 1: bad level"},
      {"stream 1.0\nsegment {}\n", "line 2: segment metadata"},
      {"stream 1.0\nsegment {\"modality\":\"text\",\"tokenizer\":\"b\",\"vocab_size\":2}\ntokens 1 2\n",
       "line 3: code 2 out of range"},
      {"stream 1.0\nsegment {\"modality\":\"text\",\"tokenizer\":\"b\",\"vocab_size\":2}\ntokens 1 -1\n",
       "line 3: bad code \"-1\""},
      {"stream 1.0\nfrobnicate\n", "line 2: unknown keyword"},
      {"stream 1.0\ntensor x f32 2 00\n", "line 2: tensor x: data size does not match"},
      {"stream 1.0\ntensor x f32 2 zz\n", "line 2: bad hex digit"},
      {"stream 1.0\ntensor x q9 2 00\n", "line 2: unknown tensor dtype"},
      {"stream 1.0\nrecord 3 0 00\n", "line 2: ancillary records need a type above 5"},
      {"stream 1.0\nsegment-end\n", "line 2: segment-end record outside a segment"},
      {"stream 1.0\nend extra\n", "line 2: unexpected text"},
      {"stream 1.0\n", "line 1: the text ends without \"end\""},
      {"stream 1.0\nstream 1.0\n", "line 2: \"stream\" before the previous stream's \"end\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK_THROWS_WITH_AS(pack_text(c.text), doctest::Contains(c.error), Error);
  }
}

TEST_CASE("members of one text share the rule of one tokenizer per modality") {
  std::string text =
      "stream 1.0\nsegment {\"modality\":\"text\",\"tokenizer\":\"a\",\"vocab_size\":2}\ntokens 1\nsegment-end\nend\n"
      "stream 1.0 level=5\nsegment {\"modality\":\"text\",\"tokenizer\":\"b\",\"vocab_size\":2}\n";
  CHECK_THROWS_WITH_AS(pack_text(text), doctest::Contains("line 7: segment uses tokenizer \"b\""), Error);
  CHECK_THROWS_WITH_AS(pack_text("stream 1.0 level=3 junk\n"), doctest::Contains("line 1: unexpected text"), Error);
}
