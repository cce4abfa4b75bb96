#include "generate/generator.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "error.h"
#include "generate/prefill_pieces.h"

namespace mm::generate {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of the whole process: on a shared machine, what the work cost without the wait.
double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

void prefill_in_pieces(LogitsModel& model, const Layout& layout, size_t row, const std::vector<uint32_t>& ids,
                       size_t from, float* logits) {
  const auto pieces = prefill_pieces(layout, ids, from);
  for (size_t i = 0; i < pieces.size(); ++i)
    model.prefill(row, ids.data() + pieces[i].begin, pieces[i].size(), i + 1 == pieces.size() ? logits : nullptr);
}

std::vector<std::vector<uint32_t>> Generator::run(const Request& request, const Constraint& constraint,
                                                  const std::function<void(size_t, uint32_t)>& on_id) {
  if (request.samples == 0) throw UsageError("at least one sample");
  request.sampling.check();
  const bool guided = request.sampling.cfg != 1.0f;
  const size_t n = request.samples, rows = guided ? 2 * n : n, vocab = model_.vocab_size();
  if (vocab < layout_.vocab_size())
    throw Error("the backbone's vocabulary (" + std::to_string(vocab) + ") is smaller than the layout's (" +
                std::to_string(layout_.vocab_size()) + ")");
  stats_ = GenerationStats{};
  stats_.prompt_ids = request.prompt.size();
  const size_t longest = std::max(request.prompt.size(), guided ? request.unconditional.size() : 0);
  const size_t capacity = longest + constraint.max_ids() + 1;
  if (capacity > model_.max_positions())
    throw Error("the input's sequence (" + std::to_string(longest) + " ids) and the new segment (up to " +
                std::to_string(constraint.max_ids()) + ") need more than the model's " +
                std::to_string(model_.max_positions()) + " positions");
  model_.reset(rows, capacity);

  // A restored state must hold a prefix of the prompt: then only the rest is prefilled.
  std::vector<uint32_t> cached;
  try {
    cached = model_.restore(0);
  } catch (const Error& e) {
    // The row has room for the prompt and the segment: a longer state cannot be a prefix.
    if (std::string(e.what()).find("capacity") == std::string::npos) throw;
    throw Error(std::string(e.what()) + ": it cannot be a state of this input, whose sequence has " +
                std::to_string(request.prompt.size()) + " ids");
  }
  if (cached.size() > request.prompt.size() || !std::equal(cached.begin(), cached.end(), request.prompt.begin())) {
    size_t same = 0;
    while (same < cached.size() && same < request.prompt.size() && cached[same] == request.prompt[same]) ++same;
    throw Error("the state does not match the input: it holds " + std::to_string(cached.size()) +
                " ids, the input's sequence has " + std::to_string(request.prompt.size()) +
                " and they differ from position " + std::to_string(same));
  }
  stats_.cached_ids = cached.size();

  // Every sample starts with the same forced markers (the segment's begin): they join the
  // prefill, so the first draw needs no extra step even when the state held everything.
  std::vector<Constraint> constraints(n, constraint);
  std::vector<uint32_t> lead;
  while (!constraints[0].done() && constraints[0].allowed().forced) {
    uint32_t id = constraints[0].allowed().id;
    for (auto& c : constraints) c.accept(id);
    lead.push_back(id);
  }
  std::vector<std::vector<uint32_t>> out(n);
  std::vector<Sampler> samplers;
  for (size_t i = 0; i < n; ++i) {
    samplers.emplace_back(request.seed + i);
    samplers[i].seen(request.prompt);
  }

  std::vector<float> logits(rows * vocab), scratch(vocab);
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  std::vector<uint32_t> conditional = request.prompt;
  conditional.insert(conditional.end(), lead.begin(), lead.end());
  if (conditional.size() == cached.size()) throw Error("nothing to prefill: the constraint begins without a marker");
  prefill_in_pieces(model_, layout_, 0, conditional, cached.size(), logits.data());
  stats_.prefilled_ids += conditional.size() - cached.size();
  for (size_t i = 1; i < n; ++i) {
    model_.copy_row(0, i);
    std::copy_n(logits.data(), vocab, logits.data() + i * vocab);
  }
  if (guided) {
    std::vector<uint32_t> uncond = request.unconditional;
    uncond.insert(uncond.end(), lead.begin(), lead.end());
    prefill_in_pieces(model_, layout_, n, uncond, 0, logits.data() + n * vocab);
    stats_.prefilled_ids += uncond.size();
    for (size_t i = 1; i < n; ++i) {
      model_.copy_row(n, n + i);
      std::copy_n(logits.data() + n * vocab, vocab, logits.data() + (n + i) * vocab);
    }
  }
  stats_.prefill_seconds = seconds_since(start);
  stats_.prefill_cpu_seconds = cpu_seconds() - cpu_start;
  row0_ = std::move(conditional);
  for (size_t i = 0; i < n; ++i)
    for (uint32_t id : lead) {
      out[i].push_back(id);
      samplers[i].seen(id);
      on_id(i, id);
    }

  start = std::chrono::steady_clock::now();
  cpu_start = cpu_seconds();
  std::vector<uint32_t> next(rows);
  for (;;) {
    bool all_done = true;
    for (size_t i = 0; i < n; ++i) {
      if (constraints[i].done()) {
        next[i] = out[i].back();  // padding for a finished sample's row; never read back
        continue;
      }
      Constraint::Allowed allowed = constraints[i].allowed();
      uint32_t id = allowed.id;
      if (!allowed.forced) {
        std::copy_n(logits.data() + i * vocab, vocab, scratch.data());
        if (guided) guide(scratch.data(), logits.data() + (n + i) * vocab, vocab, request.sampling.cfg);
        id = samplers[i].sample(scratch.data(), vocab, request.sampling, allowed);
      }
      constraints[i].accept(id);
      samplers[i].seen(id);
      out[i].push_back(id);
      next[i] = id;
      on_id(i, id);
      all_done &= constraints[i].done();
    }
    if (all_done) break;
    for (size_t i = 0; i < n && guided; ++i) next[n + i] = next[i];
    model_.step(next.data(), logits.data());
    row0_.push_back(next[0]);
    ++stats_.steps;
  }
  stats_.decode_seconds = seconds_since(start);
  stats_.decode_cpu_seconds = cpu_seconds() - cpu_start;
  for (const auto& ids : out) stats_.generated_ids += ids.size();
  return out;
}

}  // namespace mm::generate
