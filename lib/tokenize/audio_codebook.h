// The default audio tokenizer's file: frame geometry, band layout and the codebooks that
// mm-fit-audio writes. Its bytes define the tokenizer; their hash is its id.
//
// Layout (little-endian): the 8 bytes "MMAUDIO1", a u32 length, that many bytes of JSON
// (geometry, quantiser sizes, how it was fit), then float32 arrays: the shape codebook
// (shape_codes x bands) and the residual codebook (residual_codes x bands), in dB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mm::tokenize {

struct AudioCodebook {
  int sample_rate = 16000;  // what the tokenizer hears: mono at this rate
  int hop = 320;            // samples per frame (20 ms at 16 kHz)
  int window = 640;         // analysis and synthesis window, centred on its hop
  int fft_size = 1024;      // the window zero-padded to this
  std::vector<int> band_edges = {};  // FFT bins; band b is [edges[b], edges[b+1])
  int shape_codes = 0;      // first code of a frame: the envelope's shape
  int gain_levels = 0;      // second code: gain level * residual_codes + residual
  int residual_codes = 0;
  float gain_min_db = -100;  // level 0: silence (decoded as exact zeros)
  float gain_step_db = 1.75f;
  std::vector<float> shapes;     // shape_codes x bands(), dB about the frame's gain
  std::vector<float> residuals;  // residual_codes x bands(), dB
  std::string fit_json = "{}";   // how it was made (a JSON object), for people

  size_t bands() const { return band_edges.empty() ? 0 : band_edges.size() - 1; }
  uint32_t vocab_size() const;

  std::string serialize() const;
  // Throws mm::Error naming what is wrong; accepts only what serialize() can write and the
  // encoder can use (sizes in range, edges ascending, finite values).
  static AudioCodebook parse(const std::string& bytes);
  // Band edges on the mel scale: `bands` bands from 0 Hz to Nyquist, at least 2 bins each.
  static std::vector<int> mel_band_edges(int bands, int sample_rate, int fft_size);
};

}  // namespace mm::tokenize
