#include "generate/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "error.h"

namespace mm::generate {

namespace {

using nlohmann::json;

// Most likely first; equal logits in id order, so the order never depends on the sort.
bool more_likely(const std::pair<uint32_t, float>& a, const std::pair<uint32_t, float>& b) {
  return a.second > b.second || (a.second == b.second && a.first < b.first);
}

}  // namespace

void SamplingOptions::check() const {
  if (!(temperature >= 0) || !std::isfinite(temperature)) throw UsageError("--temperature must be 0 or more");
  if (!(top_p > 0 && top_p <= 1)) throw UsageError("--top-p must be in (0, 1]");
  if (!(repeat_penalty > 0) || !std::isfinite(repeat_penalty)) throw UsageError("--repeat-penalty must be positive");
  if (!(cfg >= 0) || !std::isfinite(cfg)) throw UsageError("--cfg must be 0 or more");
}

GenerationDefaults GenerationDefaults::from_json(const std::string& generation_json, const std::string& modality) {
  GenerationDefaults d;
  if (modality == "image" || modality == "video" || modality == "audio") {
    d.sampling.top_k = modality == "audio" ? 0 : 2048;
    d.sampling.cfg = 3.0f;
  } else {
    d.sampling.temperature = 0.7f;
    d.sampling.top_p = 0.9f;
    d.sampling.repeat_penalty = 1.1f;
  }
  if (modality == "video") d.grid = Shape{16, 16, 1};
  if (generation_json.empty()) return d;
  json all = json::parse(generation_json, nullptr, false);
  if (all.is_discarded() || !all.is_object()) throw Error("bundle config: \"generation\" is not a JSON object");
  auto section = all.find(modality);
  if (section == all.end()) return d;
  if (!section->is_object()) throw Error("bundle config: \"generation\"." + modality + " is not an object");
  auto number = [&](const char* key, auto& out, double low, double high) {
    auto v = section->find(key);
    if (v == section->end()) return;
    if (!v->is_number() || v->get<double>() < low || v->get<double>() > high)
      throw Error("bundle config: \"generation\"." + modality + "." + key + " must be a number in [" +
                  std::to_string(low) + ", " + std::to_string(high) + "]");
    out = static_cast<std::remove_reference_t<decltype(out)>>(v->get<double>());
  };
  number("temperature", d.sampling.temperature, 0, 100);
  number("top_k", d.sampling.top_k, 0, 1e9);
  number("top_p", d.sampling.top_p, 1e-6, 1);
  number("repetition_penalty", d.sampling.repeat_penalty, 1e-3, 100);  // Hugging Face's name
  number("repeat_penalty", d.sampling.repeat_penalty, 1e-3, 100);
  number("cfg", d.sampling.cfg, 0, 100);
  number("frames", d.frames, 1, 1e6);
  number("seconds", d.seconds, 1e-3, 1e6);
  number("fps", d.fps, 1e-3, 1e4);
  number("max_tokens", d.max_tokens, 1, 1e9);
  if (auto grid = section->find("grid"); grid != section->end()) {
    if (!grid->is_array() || grid->size() != 2 || !(*grid)[0].is_number_unsigned() ||
        !(*grid)[1].is_number_unsigned() || (*grid)[0].get<uint64_t>() == 0 || (*grid)[1].get<uint64_t>() == 0 ||
        (*grid)[0].get<uint64_t>() > 65536 || (*grid)[1].get<uint64_t>() > 65536)
      throw Error("bundle config: \"generation\"." + modality + ".grid must be [width, height] in codes");
    d.grid = Shape{(*grid)[0].get<uint32_t>(), (*grid)[1].get<uint32_t>(), 1};
    d.grid_given = true;
  }
  return d;
}

Shape parse_grid(const std::string& text) {
  size_t x = text.find('x');
  auto number = [&](const std::string& part) -> uint32_t {
    if (part.empty() || part.size() > 5 || part.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("grid \"" + text + "\": expected WxH in codes, e.g. 32x32");
    unsigned long n = std::stoul(part);
    if (n == 0 || n > 65536) throw UsageError("grid \"" + text + "\": each side must be 1 to 65536 codes");
    return uint32_t(n);
  };
  if (x == std::string::npos) throw UsageError("grid \"" + text + "\": expected WxH in codes, e.g. 32x32");
  return Shape{number(text.substr(0, x)), number(text.substr(x + 1)), 1};
}

void guide(float* cond, const float* uncond, size_t vocab, float scale) {
  for (size_t i = 0; i < vocab; ++i) cond[i] = uncond[i] + scale * (cond[i] - uncond[i]);
}

void Sampler::seen(uint32_t id) {
  if (id >= seen_mask_.size()) seen_mask_.resize(size_t(id) + 1 + seen_mask_.size() / 2, 0);
  if (seen_mask_[id]) return;
  seen_mask_[id] = 1;
  seen_ids_.push_back(id);
}

double Sampler::uniform() { return double(rng_() >> 11) * 0x1.0p-53; }

uint32_t Sampler::sample(float* logits, size_t vocab, const SamplingOptions& options,
                         const Constraint::Allowed& allowed) {
  candidates_.clear();
  if (allowed.forced) {
    candidates_.push_back({allowed.id, 1.0f});
    return allowed.id;
  }
  if (options.repeat_penalty != 1.0f)
    for (uint32_t id : seen_ids_)
      if (id < vocab) logits[id] = logits[id] > 0 ? logits[id] / options.repeat_penalty : logits[id] * options.repeat_penalty;
  for (const auto& [first, last] : allowed.ranges)
    for (uint32_t id = first; id < last && id < vocab; ++id)
      if (!std::isnan(logits[id]) && logits[id] != -std::numeric_limits<float>::infinity())
        candidates_.push_back({id, logits[id]});
  if (candidates_.empty()) throw Error("sampling: no allowed id has a finite logit (was the model trained to produce these?)");

  if (options.temperature == 0) {
    auto best = std::min_element(candidates_.begin(), candidates_.end(), more_likely);
    std::pair<uint32_t, float> chosen{best->first, 1.0f};
    candidates_.assign(1, chosen);
    return chosen.first;
  }
  // Probabilities at the temperature, from the largest logit so that nothing overflows.
  float top = -std::numeric_limits<float>::infinity();
  for (const auto& c : candidates_) top = std::max(top, c.second);
  double total = 0;
  for (auto& c : candidates_) {
    c.second = float(std::exp(double(c.second - top) / options.temperature));
    total += c.second;
  }
  // Truncation sorts only as far as it must: the k most likely for top-k, and for top-p a
  // prefix grown 4x at a time until it holds p of the mass (a peaked distribution needs
  // a few dozen ids, not a sort of the whole vocabulary).
  size_t sorted = 0;  // the first `sorted` candidates are the most likely, in order
  if (options.top_k > 0 && options.top_k < candidates_.size()) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + options.top_k, candidates_.end(), more_likely);
    candidates_.resize(options.top_k);
    sorted = candidates_.size();
    total = 0;
    for (const auto& c : candidates_) total += c.second;
  }
  if (options.top_p < 1.0f) {
    const double target = options.top_p * total;
    size_t keep = 0;
    double cumulative = 0;
    for (size_t k = std::min<size_t>(64, candidates_.size());; k = std::min(candidates_.size(), k * 4)) {
      if (k > sorted) {
        std::partial_sort(candidates_.begin() + sorted, candidates_.begin() + k, candidates_.end(), more_likely);
        sorted = k;
      }
      while (keep < k && cumulative < target) cumulative += candidates_[keep++].second;
      if (cumulative >= target || k == candidates_.size()) break;
    }
    candidates_.resize(std::max<size_t>(keep, 1));
    total = 0;
    for (const auto& c : candidates_) total += c.second;
  }
  for (auto& c : candidates_) c.second = float(c.second / total);
  double u = uniform(), cumulative = 0;
  for (const auto& c : candidates_) {
    cumulative += c.second;
    if (u < cumulative) return c.first;
  }
  return candidates_.back().first;  // rounding left u above the last sum
}

}  // namespace mm::generate
