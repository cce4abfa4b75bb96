#include "tokenize/audio_codebook.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::tokenize {

namespace {

constexpr char kMagic[8] = {'M', 'M', 'A', 'U', 'D', 'I', 'O', '1'};
constexpr uint32_t kMaxHeader = 1 << 20;
constexpr const char* kFormat = "mm-audio-envelope-vq";

void require(bool ok, const std::string& what) {
  if (!ok) throw Error("audio codebook: " + what);
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(const std::string& in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(in[at + i])) << (8 * i);
  return v;
}

void put_floats(std::string& out, const std::vector<float>& values) {
  for (float f : values) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    put_u32(out, bits);
  }
}

int integer(const nlohmann::json& header, const char* key, long long low, long long high) {
  auto it = header.find(key);
  require(it != header.end() && it->is_number_integer(), std::string("\"") + key + "\" missing or not an integer");
  long long v = it->get<long long>();
  require(v >= low && v <= high, std::string("\"") + key + "\" = " + std::to_string(v) + " is outside " +
                                     std::to_string(low) + " to " + std::to_string(high));
  return int(v);
}

float number(const nlohmann::json& header, const char* key) {
  auto it = header.find(key);
  require(it != header.end() && it->is_number(), std::string("\"") + key + "\" missing or not a number");
  double v = it->get<double>();
  require(std::isfinite(v) && std::fabs(v) < 1e4, std::string("\"") + key + "\" out of range");
  return float(v);
}

}  // namespace

uint32_t AudioCodebook::vocab_size() const {
  return uint32_t(std::max<int64_t>(shape_codes, int64_t(gain_levels) * residual_codes));
}

std::vector<int> AudioCodebook::mel_band_edges(int bands, int sample_rate, int fft_size) {
  const int bins = fft_size / 2 + 1;
  require(bands >= 1 && bands * 2 <= bins, std::to_string(bands) + " bands do not fit " + std::to_string(bins) + " bins");
  auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  auto hz = [](double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); };
  const double top = mel(sample_rate / 2.0), bin_hz = double(sample_rate) / fft_size;
  std::vector<int> edges{0};
  for (int b = 1; b < bands; ++b) {
    int edge = int(std::lround(hz(top * b / bands) / bin_hz));
    edge = std::max(edge, edges.back() + 2);                 // at least two bins a band
    edge = std::min(edge, bins - 2 * (bands - b));           // leave room for the rest
    edges.push_back(edge);
  }
  edges.push_back(bins);
  return edges;
}

std::string AudioCodebook::serialize() const {
  nlohmann::json fit = nlohmann::json::parse(fit_json, nullptr, false);
  if (fit.is_discarded() || !fit.is_object()) fit = nlohmann::json::object();
  nlohmann::json header = {{"format", kFormat},        {"sample_rate", sample_rate},
                           {"hop", hop},               {"window", window},
                           {"fft_size", fft_size},     {"band_edges", band_edges},
                           {"shape_codes", shape_codes}, {"gain_levels", gain_levels},
                           {"residual_codes", residual_codes}, {"gain_min_db", gain_min_db},
                           {"gain_step_db", gain_step_db}, {"fit", fit}};
  std::string text = header.dump();
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, uint32_t(text.size()));
  out += text;
  put_floats(out, shapes);
  put_floats(out, residuals);
  return out;
}

AudioCodebook AudioCodebook::parse(const std::string& bytes) {
  require(bytes.size() >= 12 && std::memcmp(bytes.data(), kMagic, 8) == 0, "not an mm audio codebook (no MMAUDIO1 magic)");
  uint32_t length = get_u32(bytes, 8);
  require(length <= kMaxHeader && length <= bytes.size() - 12, "header length " + std::to_string(length) + " runs past the file");
  nlohmann::json header = nlohmann::json::parse(bytes.substr(12, length), nullptr, false);
  require(!header.is_discarded() && header.is_object(), "header is not a JSON object");
  auto format = header.find("format");
  require(format != header.end() && format->is_string() && format->get<std::string>() == kFormat,
          std::string("\"format\" is not \"") + kFormat + "\"");

  AudioCodebook c;
  c.sample_rate = integer(header, "sample_rate", 8000, 192000);
  c.hop = integer(header, "hop", 16, 8192);
  c.fft_size = integer(header, "fft_size", 32, 65536);
  require((c.fft_size & (c.fft_size - 1)) == 0, "fft_size is not a power of two");
  c.window = integer(header, "window", c.hop, std::min(4 * c.hop, c.fft_size));
  require((c.window - c.hop) % 2 == 0, "window minus hop must be even (the window is centred on its hop)");
  auto edges = header.find("band_edges");
  require(edges != header.end() && edges->is_array() && edges->size() >= 2 && edges->size() <= size_t(c.fft_size / 2 + 2),
          "\"band_edges\" missing or of the wrong size");
  for (const auto& e : *edges) {
    require(e.is_number_integer(), "\"band_edges\" holds a non-integer");
    long long v = e.get<long long>();
    require(v >= 0 && v <= c.fft_size / 2 + 1, "a band edge lies outside the spectrum");
    require(c.band_edges.empty() || v > c.band_edges.back(), "band edges do not ascend");
    c.band_edges.push_back(int(v));
  }
  c.shape_codes = integer(header, "shape_codes", 1, 1 << 16);
  c.gain_levels = integer(header, "gain_levels", 2, 4096);
  c.residual_codes = integer(header, "residual_codes", 1, 1 << 16);
  require(int64_t(c.gain_levels) * c.residual_codes <= (1 << 20), "gain_levels x residual_codes above 2^20");
  c.gain_min_db = number(header, "gain_min_db");
  c.gain_step_db = number(header, "gain_step_db");
  require(c.gain_step_db > 0, "\"gain_step_db\" must be positive");
  if (auto fit = header.find("fit"); fit != header.end()) {
    require(fit->is_object(), "\"fit\" is not an object");
    c.fit_json = fit->dump();
  }

  const size_t bands = c.bands();
  const size_t floats = (size_t(c.shape_codes) + size_t(c.residual_codes)) * bands;
  const size_t at = 12 + size_t(length);
  require(bytes.size() - at == floats * 4, "expected " + std::to_string(floats * 4) + " bytes of codebooks after the header, found " +
                                              std::to_string(bytes.size() - at));
  std::vector<float> values(floats);
  for (size_t i = 0; i < floats; ++i) {
    uint32_t bits = get_u32(bytes, at + 4 * i);
    std::memcpy(&values[i], &bits, 4);
    require(std::isfinite(values[i]) && std::fabs(values[i]) < 1000, "a codebook value is not a finite level in dB");
  }
  c.shapes.assign(values.begin(), values.begin() + ptrdiff_t(size_t(c.shape_codes) * bands));
  c.residuals.assign(values.begin() + ptrdiff_t(size_t(c.shape_codes) * bands), values.end());
  return c;
}

}  // namespace mm::tokenize
