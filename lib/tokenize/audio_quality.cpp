#include "tokenize/audio_quality.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "tokenize/fft.h"

namespace mm::tokenize {

namespace {

constexpr size_t kFrame = 512, kHop = 256;

std::vector<std::vector<float>> log_spectra(const std::vector<float>& x, size_t frames) {
  Fft fft(kFrame);
  std::vector<std::vector<float>> out;
  std::vector<std::complex<float>> buffer(kFrame);
  for (size_t t = 0; t < frames; ++t) {
    for (size_t i = 0; i < kFrame; ++i) {
      size_t at = t * kHop + i;
      float w = float(0.5 - 0.5 * std::cos(2 * M_PI * (i + 0.5) / kFrame));
      buffer[i] = at < x.size() ? x[at] * w : 0.0f;
    }
    fft.forward(buffer);
    std::vector<float> db(kFrame / 2 + 1);
    for (size_t k = 0; k < db.size(); ++k) db[k] = float(10 * std::log10(std::norm(buffer[k]) + 1e-9));
    out.push_back(std::move(db));
  }
  return out;
}

}  // namespace

AudioQuality measure_audio_quality(const std::vector<float>& reference, const std::vector<float>& decoded, long max_lag) {
  AudioQuality q;
  // The lag: first where the loudness contours (log energy of 64-sample windows every 8
  // samples) agree best, which a vocoder's output follows though its waveform does not;
  // then, within 8 samples of it, where the waveforms correlate best (a waveform codec's).
  auto contour = [](const std::vector<float>& x) {
    std::vector<double> c;
    for (size_t at = 0; at + 64 <= x.size(); at += 8) {
      double e = 0;
      for (size_t i = at; i < at + 64; ++i) e += double(x[i]) * x[i];
      c.push_back(10 * std::log10(e + 1e-9));
    }
    return c;
  };
  const std::vector<double> a = contour(reference), b = contour(decoded);
  double best = -1e300;
  for (long step = -max_lag / 8; step <= max_lag / 8; ++step) {
    double score = 0;
    size_t n = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      long j = long(i) + step;
      if (j < 0 || size_t(j) >= b.size()) continue;
      score -= (a[i] - b[size_t(j)]) * (a[i] - b[size_t(j)]);
      ++n;
    }
    score = n ? score / double(n) : -1e300;
    if (score > best) best = score, q.lag = step * 8;
  }
  const long coarse = q.lag;
  best = -1e300;
  for (long lag = coarse - 8; lag <= coarse + 8; ++lag) {
    double c = 0;
    for (size_t i = 0; i < reference.size(); ++i) {
      long j = long(i) + lag;
      if (j >= 0 && size_t(j) < decoded.size()) c += double(reference[i]) * decoded[size_t(j)];
    }
    if (c > best) best = c, q.lag = lag;
  }
  std::vector<float> aligned(reference.size(), 0.0f);
  for (size_t i = 0; i < reference.size(); ++i) {
    long j = long(i) + q.lag;
    if (j >= 0 && size_t(j) < decoded.size()) aligned[i] = decoded[size_t(j)];
  }
  double signal = 0, noise = 0, out = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    signal += double(reference[i]) * reference[i];
    noise += double(reference[i] - aligned[i]) * (reference[i] - aligned[i]);
    out += double(aligned[i]) * aligned[i];
  }
  q.snr = 10 * std::log10((signal + 1e-20) / (noise + 1e-20));
  q.loudness = 10 * std::log10((out + 1e-20) / (signal + 1e-20));
  const size_t frames = reference.size() >= kFrame ? (reference.size() - kFrame) / kHop + 1 : 1;
  auto sa = log_spectra(reference, frames), sb = log_spectra(aligned, frames);
  std::vector<double> energy(frames);
  double loudest = -1e300;
  for (size_t t = 0; t < frames; ++t) {
    double e = 0;
    for (float v : sa[t]) e += std::pow(10.0, v / 10);
    energy[t] = 10 * std::log10(e);
    loudest = std::max(loudest, energy[t]);
  }
  size_t counted = 0;
  for (size_t t = 0; t < frames; ++t) {
    if (energy[t] < loudest - 50) continue;
    double wide = 0, narrow = 0;
    for (size_t k = 0; k <= kFrame / 2; ++k) {
      double d = double(sa[t][k]) - sb[t][k];
      wide += d * d;
      if (k <= kFrame / 4) narrow += d * d;
    }
    q.lsd_wide += std::sqrt(wide / double(kFrame / 2 + 1));
    q.lsd_narrow += std::sqrt(narrow / double(kFrame / 4 + 1));
    ++counted;
  }
  q.lsd_wide /= double(std::max<size_t>(counted, 1));
  q.lsd_narrow /= double(std::max<size_t>(counted, 1));
  return q;
}

}  // namespace mm::tokenize
