// mm-model-copy-loss: how much a bundle pays for the codes of an image that follows another
// image (an edit, a copy), split by whether the code equals the earlier image's code at the
// same place: whether a model copies what it was given. Not installed.
//   mm-model-copy-loss BUNDLE STREAM [COUNT]
// Reads the first COUNT (default 100) conversations of STREAM (each member one, as
// mm-train --example member reads them), scores the answers' ids with the training forward
// (a softmax over the bundle's output_ids, as mm-train --softmax seen), and prints the mean
// loss in nats of each class: the codes of a later image that repeat the image before at
// their place (copy) or not (changed), background (code 0) or object; the first image's
// codes (a drawing's), background or object; everything else. For object codes, also the
// part of their loss that is placing an object there at all (-log P(not background)). Ids
// outside the output_ids are counted apart.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "error.h"
#include "examples.h"
#include "generate/layout.h"
#include "model/bundle.h"
#include "model/llama.h"
#include "model/places.h"

int main(int argc, char** argv) try {
  using namespace mm;
  if (argc < 3) {
    std::cerr << "usage: mm-model-copy-loss BUNDLE STREAM [COUNT]\n";
    return 2;
  }
  const std::string bundle_dir = argv[1];
  const size_t count = argc > 3 ? std::stoul(argv[3]) : 100;
  model::BundleConfig bundle = model::BundleConfig::load(bundle_dir);
  if (bundle.backbone.output_ids.empty()) throw Error(bundle_dir + ": no output_ids (train with --softmax seen)");
  const generate::Layout layout = generate::Layout::from_json(bundle.layout_json);
  const auto data = train::load_examples({argv[2]}, bundle_dir, layout, train::Scored::Answers, train::ExampleUnit::Member);
  const model::VisualMarkers markers = model::VisualMarkers::from_layout_json(bundle.layout_json);
  bundle.backbone.visual_markers = markers;
  model::Llama llama(bundle.backbone, false);
  model::WeightSet weights(bundle);
  llama.load(weights, at::kFloat, at::kCPU);
  c10::InferenceMode guard;
  const auto& output = bundle.backbone.output_ids;
  const at::Tensor head = llama.head_weight().index_select(0, at::tensor(std::vector<int64_t>(output.begin(), output.end()), at::kLong));
  std::vector<int64_t> column(bundle.backbone.vocab_size, -1);
  for (size_t i = 0; i < output.size(); ++i) column[output[i]] = int64_t(i);
  const uint32_t background = layout.range("image").offset;  // code 0: the world's plain background
  std::map<std::string, std::pair<double, uint64_t>> sums;
  uint64_t unproducible = 0;
  for (size_t e = 0; e < count && e < data.examples.size(); ++e) {
    const train::Example& ex = data.examples[e];
    std::vector<int64_t> ids(ex.ids.begin(), ex.ids.end());
    const at::Tensor log_probs = at::log_softmax(at::linear(llama.hidden(at::tensor(ids, at::kLong).view({1, -1}))[0], head), -1);
    // Each image's codes by place, and which image each id belongs to.
    model::PlaceTracker tracker(markers);
    std::vector<std::map<std::pair<int32_t, int32_t>, int64_t>> images;
    std::vector<model::Place> places;
    std::vector<int> image_of(ids.size(), -1);
    for (size_t t = 0; t < ids.size(); ++t) {
      if (uint32_t(ids[t]) == markers.begin_image) images.emplace_back();
      places.push_back(tracker.push(uint32_t(ids[t])));
      if (places.back().row >= 0 && !images.empty()) {
        images.back()[{places.back().row, places.back().column}] = ids[t];
        image_of[t] = int(images.size()) - 1;
      }
    }
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
      if (!ex.scored[t + 1]) continue;
      if (column[size_t(ids[t + 1])] < 0) {  // the bundle cannot produce it at all
        ++unproducible;
        continue;
      }
      const double loss = -log_probs[int64_t(t)][column[size_t(ids[t + 1])]].item<double>();
      const int image = image_of[t + 1];
      std::string kind = "other";
      const char* part = uint32_t(ids[t + 1]) == background ? "-background" : "-object";
      if (image == 0) {
        kind = std::string("first-image") + part;
      } else if (image > 0) {
        const auto& before = images[size_t(image) - 1];
        auto same = before.find({places[t + 1].row, places[t + 1].column});
        kind = std::string(same != before.end() && same->second == ids[t + 1] ? "copy" : "changed") + part;
      }
      for (const std::string& k : {kind, std::string("all")}) sums[k].first += loss, ++sums[k].second;
      if (image >= 0 && uint32_t(ids[t + 1]) != background && column[background] >= 0) {
        // Of that loss, what knowing an object is there costs: -log P(not background).
        const double p_background = std::exp(log_probs[int64_t(t)][column[background]].item<double>());
        auto& s = sums[kind + "-not-background"];
        s.first += -std::log1p(-std::min(p_background, 1.0 - 1e-12)), ++s.second;
      }
    }
  }
  for (const auto& [kind, s] : sums)
    std::printf("%-34s %8llu ids %8.4f nats\n", kind.c_str(), (unsigned long long)s.second, s.first / double(s.second));
  if (unproducible > 0)
    std::printf("and %llu answer ids that are not among the bundle's output_ids (it never produces them; not counted)\n",
                (unsigned long long)unproducible);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "mm-model-copy-loss: " << e.what() << "\n";
  return 1;
}
