// How close decoded sound is to its reference: the measures the audio tokenizer's tests
// and `make bench` report, in one place so that both mean the same thing.
#pragma once

#include <vector>

namespace mm::tokenize {

struct AudioQuality {
  double lsd_wide = 0;    // log-spectral distance, dB, 0-8 kHz
  double lsd_narrow = 0;  // the same over 0-4 kHz (all that codec2 codes)
  double snr = 0;         // dB
  double loudness = 0;    // decoded RMS over reference RMS, dB
  long lag = 0;           // samples the decoded sound was shifted by
};

// Both mono at 16 kHz. The decoded sound is first shifted by the lag (within +-max_lag
// samples) where its loudness contour best matches the reference's, refined to the best
// waveform correlation within 8 samples, since codecs delay (and a vocoder's waveform
// does not correlate with its input at all). LSD: the mean
// over frames (512-sample Hann, hop 256) of the RMS difference of the log power spectra,
// leaving out frames 50 dB below the reference's loudest (silence would dominate).
AudioQuality measure_audio_quality(const std::vector<float>& reference, const std::vector<float>& decoded,
                                   long max_lag = 800);

}  // namespace mm::tokenize
