// Random and realistic streams for property tests, the fuzz corpus and the benchmark.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "stream/tensor.h"

namespace mm::testing {

struct SegmentSpec {
  std::string metadata;
  std::vector<std::vector<uint32_t>> records;  // codes, one tokens record each
  std::vector<stream::Tensor> tensors;         // written after the codes
};

struct StreamSpec {
  int level = 3;
  std::vector<SegmentSpec> segments;
  std::vector<stream::Tensor> stream_tensors;  // written before the first segment
};

// Segments of every modality with random metadata, vocabularies of every code width,
// records of random lengths and tensors of every dtype. Tokenizers are consistent per
// modality within one call.
StreamSpec random_stream(std::mt19937_64& rng, size_t max_segments = 6, size_t max_record_tokens = 3000);

std::vector<uint8_t> write_stream(const StreamSpec& spec);

// What a reader gives back, flattened, for comparison with the spec.
StreamSpec read_stream(const std::vector<uint8_t>& bytes);

bool operator==(const StreamSpec& a, const StreamSpec& b);

}  // namespace mm::testing
