#include <doctest/doctest.h>

#include "error.h"
#include "stream/segment.h"

using namespace mm::stream;

TEST_CASE("segment metadata: the required fields are extracted") {
  auto info = parse_segment_metadata(
      R"({"modality":"image","tokenizer":"vq-8k","vocab_size":8192,"role":"user","grid":[32,24],"source":"a.png"})");
  CHECK(info.modality == "image");
  CHECK(info.tokenizer == "vq-8k");
  CHECK(info.vocab_size == 8192);
  CHECK(info.role == "user");
}

TEST_CASE("segment metadata: the helper writes compact JSON that parses back") {
  std::string json = segment_metadata("audio", "mdct-vq", 1024, "", R"({"sample_rate":24000})");
  CHECK(json == R"({"modality":"audio","sample_rate":24000,"tokenizer":"mdct-vq","vocab_size":1024})");
  CHECK(parse_segment_metadata(json).vocab_size == 1024);
  CHECK_THROWS_AS(segment_metadata("audio", "x", 2, "", "[1]"), mm::Error);
}

TEST_CASE("segment metadata: bad metadata is refused with the reason") {
  struct Case {
    const char* json;
    const char* reason;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"tokenizer":"t","vocab_size":2})", "missing \"modality\""},
      {R"({"modality":"smell","tokenizer":"t","vocab_size":2})", "unknown modality"},
      {R"({"modality":"text","vocab_size":2})", "missing \"tokenizer\""},
      {R"({"modality":"text","tokenizer":"","vocab_size":2})", "missing \"tokenizer\""},
      {R"({"modality":"text","tokenizer":"t"})", "vocab_size"},
      {R"({"modality":"text","tokenizer":"t","vocab_size":0})", "vocab_size"},
      {R"({"modality":"text","tokenizer":"t","vocab_size":-5})", "vocab_size"},
      {R"({"modality":"text","tokenizer":"t","vocab_size":2.5})", "vocab_size"},
      {R"({"modality":"text","tokenizer":"t","vocab_size":4294967297})", "above 2^32"},
      {R"({"modality":"text","tokenizer":"t","vocab_size":2,"role":"king"})", "unknown role"},
      {R"({"modality":"image","tokenizer":"t","vocab_size":2,"grid":[3]})", "grid"},
      {R"({"modality":"video","tokenizer":"t","vocab_size":2,"frames":0})", "frames"},
      {R"({"modality":"video","tokenizer":"t","vocab_size":2,"fps":"fast"})", "fps"},
      {R"({"modality":"audio","tokenizer":"t","vocab_size":2,"sample_rate":-1})", "sample_rate"},
      {R"({"modality":"text","tokenizer":"t","vocab_size":2,"source":7})", "source"},
      {"{\"modality\":\"text\",\n\"tokenizer\":\"t\",\"vocab_size\":2}", "line break"},
      {"{\"modality\":\"text\",\"tokenizer\":\"\xff\",\"vocab_size\":2}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    try {
      parse_segment_metadata(c.json);
      FAIL("accepted");
    } catch (const mm::Error& e) {
      CHECK(std::string(e.what()).find(c.reason) != std::string::npos);
    }
  }
  CHECK_THROWS_AS(parse_segment_metadata(std::string(2 << 20, ' ')), mm::Error);
}
