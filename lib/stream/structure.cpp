#include "stream/structure.h"

#include <xxhash.h>

#include "error.h"
#include "stream/format.h"

namespace mm::stream {

struct Structure::HashState {
  XXH3_state_t* state = XXH3_createState();
  ~HashState() { XXH3_freeState(state); }
};

Structure::Structure() : hash_(new HashState) { begin_member(); }
Structure::~Structure() { delete hash_; }

void Structure::begin_member() {
  in_segment_ = false;
  totals_ = {};
  XXH3_64bits_reset(hash_->state);
}

void Structure::add_record_header(const uint8_t* header) {
  XXH3_64bits_update(hash_->state, header, kRecordHeaderSize);
  ++totals_.records;
}

void Structure::require_segment(const char* record) const {
  if (!in_segment_) throw Error(std::string(record) + " record outside a segment");
}

void Structure::segment_begin(const SegmentInfo& info) {
  if (in_segment_) throw Error("segment begins before the previous one ended");
  auto [known, inserted] = tokenizers_.emplace(info.modality, std::make_pair(info.tokenizer, info.vocab_size));
  if (!inserted && known->second != std::make_pair(info.tokenizer, info.vocab_size))
    throw Error("segment uses tokenizer \"" + info.tokenizer + "\" (" + std::to_string(info.vocab_size) +
                " codes) for " + info.modality + ", but earlier segments use \"" + known->second.first +
                "\" (" + std::to_string(known->second.second) +
                " codes): streams from different tokenizers cannot be mixed");
  in_segment_ = true;
  segment_ = info;
  segment_tokens_ = 0;
  ++totals_.segments;
}

unsigned Structure::code_width() const {
  require_segment("tokens");
  return stream::code_width(segment_.vocab_size);
}

void Structure::check_code(uint32_t largest_code) const {
  require_segment("tokens");
  if (largest_code >= segment_.vocab_size)
    throw Error("code " + std::to_string(largest_code) + " out of range for tokenizer \"" + segment_.tokenizer +
                "\" (" + std::to_string(segment_.vocab_size) + " codes)");
}

void Structure::tokens(uint64_t count, uint32_t largest_code) {
  if (count) check_code(largest_code);
  segment_tokens_ += count;
  totals_.tokens += count;
}

uint64_t Structure::segment_end() {
  require_segment("segment-end");
  in_segment_ = false;
  return segment_tokens_;
}

MemberTotals Structure::totals() const {
  MemberTotals t = totals_;
  t.header_hash = XXH3_64bits_digest(hash_->state);
  return t;
}

void Structure::end(const MemberTotals& declared) {
  if (in_segment_) throw Error("stream ends inside a segment");
  MemberTotals actual = totals();
  if (declared.segments != actual.segments || declared.tokens != actual.tokens ||
      declared.records != actual.records)
    throw Error("end record counts (" + std::to_string(declared.segments) + " segments, " +
                std::to_string(declared.tokens) + " tokens, " + std::to_string(declared.records) +
                " records) differ from the stream's (" + std::to_string(actual.segments) + ", " +
                std::to_string(actual.tokens) + ", " + std::to_string(actual.records) +
                "): records were lost or added");
  if (!checksum_matches(declared.header_hash, actual.header_hash))
    throw Error("end record hash differs from the records read: records were reordered or replaced");
}

}  // namespace mm::stream
