#include "tokenize/audio_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "error.h"
#include "splitmix64.h"
#include "stream/segment.h"
#include "tokenize/fft.h"

namespace mm::tokenize {

namespace {

constexpr float kFloorEnergy = 1e-10f;  // -100 dB: below a 16-bit sample's step
// How much a frame's power error (dB^2) counts against the mean squared error of its
// bands (dB^2) when the encoder settles the gain (see encode()). 0 would keep the gain at
// the bands' mean: the best log-spectral distance, but a tone the shapes miss comes back
// quieter; 0.3 keeps speech within 1 dB of its loudness for +0.1 dB of distance (`make bench`).
constexpr double kLoudnessWeight = 0.3;

// Frame t's window covers [t * hop - pad, t * hop + hop + pad).
int window_pad(const AudioCodebook& c) { return (c.window - c.hop) / 2; }

size_t nearest(const std::vector<float>& book, size_t count, size_t dims, const float* x) {
  size_t best = 0;
  float best_distance = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < count; ++i) {
    const float* c = book.data() + i * dims;
    float d = 0;
    for (size_t j = 0; j < dims; ++j) d += (x[j] - c[j]) * (x[j] - c[j]);
    if (d < best_distance) best_distance = d, best = i;
  }
  return best;
}

// The `kCandidates` nearest (fewer if the codebook is smaller), nearest first.
constexpr size_t kCandidates = 8;
void nearest_few(const std::vector<float>& book, size_t count, size_t dims, const float* x, std::vector<size_t>& out) {
  std::vector<std::pair<float, size_t>> best;
  for (size_t i = 0; i < count; ++i) {
    const float* c = book.data() + i * dims;
    float d = 0;
    for (size_t j = 0; j < dims; ++j) d += (x[j] - c[j]) * (x[j] - c[j]);
    if (best.size() < kCandidates || d < best.back().first) {
      auto at = std::upper_bound(best.begin(), best.end(), std::make_pair(d, i));
      best.insert(at, {d, i});
      if (best.size() > kCandidates) best.pop_back();
    }
  }
  out.clear();
  for (const auto& b : best) out.push_back(b.second);
}

}  // namespace

struct AudioAnalyzer::State {
  AudioCodebook geometry;  // without the codebooks
  Fft fft;
  std::vector<float> window;
  float window_energy = 0;
  explicit State(const AudioCodebook& c) : fft(size_t(c.fft_size)) {
    geometry.sample_rate = c.sample_rate;
    geometry.hop = c.hop;
    geometry.window = c.window;
    geometry.fft_size = c.fft_size;
    geometry.band_edges = c.band_edges;
    window.resize(size_t(c.window));
    for (int i = 0; i < c.window; ++i) {
      window[size_t(i)] = float(0.5 - 0.5 * std::cos(2 * M_PI * (i + 0.5) / c.window));  // Hann
      window_energy += window[size_t(i)] * window[size_t(i)];
    }
  }
};

AudioAnalyzer::AudioAnalyzer(const AudioCodebook& geometry) : state_(std::make_unique<State>(geometry)) {}
AudioAnalyzer::~AudioAnalyzer() = default;

void AudioAnalyzer::analyze(const float* samples, size_t n, std::vector<float>& levels) const {
  const State& s = *state_;
  const AudioCodebook& g = s.geometry;
  const size_t frames = n == 0 ? 0 : std::max<size_t>(1, n / size_t(g.hop)), bands = g.bands();
  const int64_t pad = window_pad(g);
  std::vector<std::complex<float>> spectrum(size_t(g.fft_size));
  std::vector<float> power(size_t(g.fft_size / 2 + 1));
  for (size_t t = 0; t < frames; ++t) {
    std::fill(spectrum.begin(), spectrum.end(), std::complex<float>());
    const int64_t first = int64_t(t) * g.hop - pad;
    for (int i = 0; i < g.window; ++i) {
      int64_t at = first + i;
      if (at >= 0 && at < int64_t(n)) spectrum[size_t(i)] = samples[at] * s.window[size_t(i)];
    }
    s.fft.forward(spectrum);
    for (size_t k = 0; k < power.size(); ++k) power[k] = std::norm(spectrum[k]);
    for (size_t b = 0; b < bands; ++b) {
      double sum = 0;
      for (int k = g.band_edges[b]; k < g.band_edges[b + 1]; ++k) sum += power[size_t(k)];
      // Per-sample variance of the band's share: white noise of variance v reads v in every band.
      double energy = sum / (double(g.band_edges[b + 1] - g.band_edges[b]) * s.window_energy);
      levels.push_back(float(10.0 * std::log10(energy + kFloorEnergy)));
    }

  }
}

// Decoding: noise shaped by the envelope, interpolated in dB between band centres.
struct AudioTokenizer::Synth {
  Fft fft;
  std::vector<float> window;   // sine: its squares overlap-add to one at hop = window / 2
  std::vector<float> centres;  // band centres in bins
  explicit Synth(const AudioCodebook& c) : fft(size_t(c.fft_size)) {
    window.resize(size_t(c.window));
    for (int i = 0; i < c.window; ++i) window[size_t(i)] = float(std::sin(M_PI * (i + 0.5) / c.window));
    for (size_t b = 0; b < c.bands(); ++b) centres.push_back(0.5f * float(c.band_edges[b] + c.band_edges[b + 1] - 1));
  }
};

AudioTokenizer::AudioTokenizer(AudioCodebook codebook) : codebook_(std::move(codebook)) {
  const AudioCodebook& c = codebook_;
  if (c.bands() == 0 || c.shapes.size() != size_t(c.shape_codes) * c.bands() ||
      c.residuals.size() != size_t(c.residual_codes) * c.bands() || c.gain_levels < 2)
    throw Error("audio codebook: inconsistent sizes");
  std::string bytes = c.serialize();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  id_ = std::string("audio-env-") + hex;
  analyzer_ = std::make_unique<AudioAnalyzer>(c);
  synth_ = std::make_unique<Synth>(c);
}

AudioTokenizer::~AudioTokenizer() = default;
AudioTokenizer::AudioTokenizer(AudioTokenizer&&) noexcept = default;

AudioTokenizer AudioTokenizer::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the audio codebook");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  try {
    return AudioTokenizer(AudioCodebook::parse(bytes.str()));
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

void AudioTokenizer::encode(const float* samples, size_t n, std::vector<uint32_t>& codes) const {
  const AudioCodebook& c = codebook_;
  const size_t bands = c.bands();
  std::vector<float> levels;
  analyzer_->analyze(samples, n, levels);
  std::vector<float> shape(bands), residual(bands);
  std::vector<size_t> candidates;
  for (size_t t = 0; t * bands < levels.size(); ++t) {
    const float* level = levels.data() + t * bands;
    float gain = 0;
    for (size_t b = 0; b < bands; ++b) gain += level[b];
    gain /= float(bands);
    long level_index = std::lround((gain - c.gain_min_db) / c.gain_step_db);
    level_index = std::clamp<long>(level_index, 0, c.gain_levels - 1);
    const float quantised = c.gain_min_db + float(level_index) * c.gain_step_db;
    // The shape is taken about the quantised gain, so the codebooks absorb its rounding.
    for (size_t b = 0; b < bands; ++b) shape[b] = level[b] - quantised;
    // The gain is settled last, between the bands' mean and the level that gives the frame's
    // power back: the distance treats every band alike, and a lone loud band (a tone) that
    // the shapes miss by some dB would otherwise change the loudness by as much. Returns the
    // cost: mean squared band error plus the weighted squared error of the frame's power.
    auto settle = [&](size_t s, size_t r, long& level_out) {
      double power_in = 0, power_out = 0;
      for (size_t b = 0; b < bands; ++b) {
        const double width = c.band_edges[b + 1] - c.band_edges[b];
        power_in += width * std::pow(10.0, level[b] / 10.0);
        power_out += width * std::pow(10.0, (c.shapes[s * bands + b] + c.residuals[r * bands + b]) / 10.0);
      }
      const double power_gain_db = 10.0 * std::log10(power_in / power_out);
      long other = std::clamp<long>(std::lround((power_gain_db - c.gain_min_db) / c.gain_step_db), 1, c.gain_levels - 1);
      double best_cost = std::numeric_limits<double>::infinity();
      for (long candidate = std::min(level_index, other); candidate <= std::max(level_index, other); ++candidate) {
        const double g = c.gain_min_db + double(candidate) * c.gain_step_db;
        double band_error = 0;
        for (size_t b = 0; b < bands; ++b) {
          const double e = level[b] - (g + c.shapes[s * bands + b] + c.residuals[r * bands + b]);
          band_error += e * e;
        }
        const double power_error = g - power_gain_db;
        const double cost = band_error / double(bands) + kLoudnessWeight * power_error * power_error;
        if (cost < best_cost) best_cost = cost, level_out = candidate;
      }
      return best_cost;
    };
    nearest_few(c.shapes, size_t(c.shape_codes), bands, shape.data(), candidates);
    size_t s = candidates[0], r = 0;
    if (level_index == 0) {
      for (size_t b = 0; b < bands; ++b) residual[b] = shape[b] - c.shapes[s * bands + b];
      r = nearest(c.residuals, size_t(c.residual_codes), bands, residual.data());
    } else {
      // The few nearest shapes are each tried with their best correction and gain.
      double best_cost = std::numeric_limits<double>::infinity();
      long best_level = level_index;
      for (size_t candidate : candidates) {
        for (size_t b = 0; b < bands; ++b) residual[b] = shape[b] - c.shapes[candidate * bands + b];
        size_t rc = nearest(c.residuals, size_t(c.residual_codes), bands, residual.data());
        long lv = level_index;
        double cost = settle(candidate, rc, lv);
        if (cost < best_cost) best_cost = cost, s = candidate, r = rc, best_level = lv;
      }
      level_index = best_level;
    }
    codes.push_back(uint32_t(s));
    codes.push_back(uint32_t(size_t(level_index) * size_t(c.residual_codes) + r));
  }
}

void AudioTokenizer::decode(const uint32_t* codes, size_t n, uint64_t samples, std::vector<float>& out) const {
  const AudioCodebook& c = codebook_;
  if (n != codes_for(samples))
    throw Error("audio: " + std::to_string(n) + " codes for " + std::to_string(samples) + " samples; the tokenizer makes " +
                std::to_string(codes_for(samples)));
  const size_t bands = c.bands(), frames = n / kCodesPerFrame, bins = size_t(c.fft_size / 2 + 1);
  const int64_t pad = window_pad(c);
  const size_t base = out.size();
  out.resize(base + samples, 0.0f);
  std::vector<float> weight(samples, 0.0f);  // sum of squared windows over each sample
  std::vector<float> level(bands), bin_db(bins), bin_power(bins);
  std::vector<std::complex<float>> spectrum(size_t(c.fft_size));
  const Synth& synth = *synth_;
  for (size_t t = 0; t < frames; ++t) {
    uint32_t s = codes[2 * t], second = codes[2 * t + 1];
    if (s >= uint32_t(c.shape_codes) || second >= uint32_t(c.gain_levels) * uint32_t(c.residual_codes))
      throw Error("audio: code out of range at frame " + std::to_string(t));
    const uint32_t gain_level = second / uint32_t(c.residual_codes), r = second % uint32_t(c.residual_codes);
    const int64_t first = int64_t(t) * c.hop - pad;
    for (int i = 0; i < c.window; ++i) {
      int64_t at = first + i;
      if (at >= 0 && at < int64_t(samples)) weight[size_t(at)] += synth.window[size_t(i)] * synth.window[size_t(i)];
    }
    // The last frame also covers what lies past its window (under a hop): the same noise
    // goes on there unwindowed, seamlessly, since its window's tail is divided out below.
    const bool last = t + 1 == frames;
    const int extended = last ? c.fft_size : c.window;
    for (int i = c.window; i < extended; ++i) {
      int64_t at = first + i;
      if (at >= 0 && at < int64_t(samples)) weight[size_t(at)] = 1.0f;
    }
    if (gain_level == 0) continue;  // silence: exact zeros
    const float gain = c.gain_min_db + float(gain_level) * c.gain_step_db;
    for (size_t b = 0; b < bands; ++b) level[b] = gain + c.shapes[s * bands + b] + c.residuals[r * bands + b];
    size_t b = 0;
    for (size_t k = 0; k < bins; ++k) {
      while (b + 1 < bands && synth.centres[b + 1] <= float(k)) ++b;
      float db = level[b];
      if (b + 1 < bands && float(k) > synth.centres[b]) {
        float f = (float(k) - synth.centres[b]) / (synth.centres[b + 1] - synth.centres[b]);
        db = level[b] + f * (level[b + 1] - level[b]);
      }
      bin_db[k] = db;
    }
    // The interpolation shapes the spectrum inside a band and can leave a peaky band short
    // of its power: it is given back. (Never taken away: where a band sits below steep
    // neighbours, the log spectrum, which is what is heard as timbre, is closer without.)
    for (size_t k = 0; k < bins; ++k) bin_power[k] = std::pow(10.0f, bin_db[k] / 10.0f);
    for (size_t band = 0; band < bands; ++band) {
      double sum = 0;
      const int lo = c.band_edges[band], hi = c.band_edges[band + 1];
      for (int k = lo; k < hi; ++k) sum += bin_power[size_t(k)];
      const float scale = float(std::pow(10.0, level[band] / 10.0) * (hi - lo) / std::max(sum, 1e-30));
      if (scale > 1)
        for (int k = lo; k < hi; ++k) bin_power[size_t(k)] *= scale;
    }
    uint64_t rng = 0x6D6D617564696F00ull ^ (uint64_t(t) * 0xD1B54A32D192ED03ull);
    const float fft_size = float(c.fft_size);
    for (size_t k = 0; k < bins; ++k) {
      float amplitude = std::sqrt(bin_power[k] * fft_size);
      if (k == 0 || k == bins - 1) {
        spectrum[k] = (splitmix64(rng) & 1) ? amplitude : -amplitude;
        continue;
      }
      float phase = float(double(splitmix64(rng) >> 11) * (2 * M_PI / 9007199254740992.0));
      spectrum[k] = std::polar(amplitude, phase);
      spectrum[size_t(c.fft_size) - k] = std::conj(spectrum[k]);
    }
    synth.fft.inverse(spectrum);
    for (int i = 0; i < c.window; ++i) {
      int64_t at = first + i;
      if (at >= 0 && at < int64_t(samples)) out[base + size_t(at)] += spectrum[size_t(i)].real() * synth.window[size_t(i)];
    }
    for (int i = c.window; i < extended; ++i) {
      int64_t at = first + i;
      if (at >= 0 && at < int64_t(samples)) out[base + size_t(at)] = spectrum[size_t(i)].real();
    }
  }
  // At the two ends fewer windows overlap; dividing by their root energy keeps the loudness.
  for (size_t i = 0; i < samples; ++i)
    if (weight[i] > 0 && std::fabs(weight[i] - 1.0f) > 1e-4f) out[base + i] /= std::sqrt(weight[i]);
}

std::string AudioTokenizer::segment_metadata(const AudioSegmentShape& shape, const std::string& role) const {
  nlohmann::json extra = {{"sample_rate", sample_rate()},
                          {"codes_per_second", codes_per_second()},
                          {"codes_per_frame", kCodesPerFrame},
                          {"samples", shape.samples},
                          {"start", shape.start},
                          {"source_sample_rate", shape.source_sample_rate > 0 ? shape.source_sample_rate : sample_rate()},
                          {"source_samples", shape.source_samples > 0 ? shape.source_samples : shape.samples}};
  if (!shape.source.empty()) extra["source"] = shape.source;
  if (shape.part > 0) extra["part"] = shape.part;
  return stream::segment_metadata("audio", id_, vocab_size(), role, extra.dump());
}

AudioSegmentShape AudioTokenizer::parse_segment_shape(const std::string& metadata_json) {
  nlohmann::json meta = nlohmann::json::parse(metadata_json, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) throw Error("audio segment: metadata is not a JSON object");
  auto count = [&](const char* key, bool required) -> uint64_t {
    auto it = meta.find(key);
    if (it == meta.end()) {
      if (required) throw Error(std::string("audio segment: no \"") + key + "\" in its metadata");
      return 0;
    }
    if (!it->is_number_unsigned()) throw Error(std::string("audio segment: \"") + key + "\" is not a count");
    return it->get<uint64_t>();
  };
  AudioSegmentShape shape;
  shape.samples = count("samples", true);
  uint64_t rate = count("source_sample_rate", false);
  if (rate > 768000) throw Error("audio segment: \"source_sample_rate\" above 768000");
  shape.source_sample_rate = int(rate);
  shape.source_samples = count("source_samples", false);
  shape.part = count("part", false);
  if (shape.samples == 0 || shape.samples > (uint64_t(1) << 40)) throw Error("audio segment: \"samples\" out of range");
  if (auto it = meta.find("start"); it != meta.end()) {
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
      throw Error("audio segment: \"start\" is not a time");
    shape.start = it->get<double>();
  }
  if (auto it = meta.find("source"); it != meta.end() && it->is_string()) shape.source = it->get<std::string>();
  return shape;
}

}  // namespace mm::tokenize
