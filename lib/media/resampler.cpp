#include "media/resampler.h"

#include <algorithm>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
}

#include "error.h"

namespace mm::media {

struct Resampler::State {
  SwrContext* swr = nullptr;
  int in_rate = 0, out_rate = 0;
  uint64_t in = 0, out = 0;
  bool finished = false;
  ~State() { swr_free(&swr); }
};

Resampler::Resampler(int in_rate, int out_rate) : state_(std::make_unique<State>()) {
  if (in_rate <= 0 || in_rate > 768000 || out_rate <= 0 || out_rate > 768000)
    throw Error("cannot resample " + std::to_string(in_rate) + " Hz to " + std::to_string(out_rate) + " Hz");
  state_->in_rate = in_rate;
  state_->out_rate = out_rate;
  if (in_rate == out_rate) return;
  AVChannelLayout mono;
  av_channel_layout_default(&mono, 1);
  if (swr_alloc_set_opts2(&state_->swr, &mono, AV_SAMPLE_FMT_FLT, out_rate, &mono, AV_SAMPLE_FMT_FLT, in_rate, 0,
                          nullptr) < 0 ||
      swr_init(state_->swr) < 0)
    throw Error("cannot resample " + std::to_string(in_rate) + " Hz to " + std::to_string(out_rate) + " Hz");
}

Resampler::~Resampler() = default;

uint64_t Resampler::output_count(uint64_t input, int in_rate, int out_rate) {
  // llround(input * out / in) without overflow for any length mm reads.
  const unsigned __int128 scaled = (unsigned __int128)input * unsigned(out_rate) * 2 + unsigned(in_rate);
  return uint64_t(scaled / (unsigned __int128)(2 * unsigned(in_rate)));
}

void Resampler::push(const float* samples, size_t n, std::vector<float>& out) {
  State& s = *state_;
  if (s.finished) throw Error("resampler: push after finish");
  s.in += n;
  if (!s.swr) {
    out.insert(out.end(), samples, samples + n);
    s.out += n;
    return;
  }
  const size_t room = size_t(swr_get_out_samples(s.swr, int(n))) + 32;
  const size_t base = out.size();
  out.resize(base + room);
  uint8_t* dst = reinterpret_cast<uint8_t*>(out.data() + base);
  const uint8_t* src = reinterpret_cast<const uint8_t*>(samples);
  int got = swr_convert(s.swr, &dst, int(room), &src, int(n));
  if (got < 0) throw Error("resampling failed");
  // Never past the exact count so far (a filter's delay keeps it below anyway), so finish()
  // never has to take back what was handed out.
  const uint64_t limit = output_count(s.in, s.in_rate, s.out_rate);
  got = int(std::min<uint64_t>(uint64_t(got), limit - std::min(limit, s.out)));
  out.resize(base + size_t(got));
  s.out += uint64_t(got);
}

void Resampler::finish(std::vector<float>& out) {
  State& s = *state_;
  if (s.finished) return;
  const uint64_t total = output_count(s.in, s.in_rate, s.out_rate);
  if (s.swr) {
    for (;;) {
      const size_t base = out.size();
      out.resize(base + 4096);
      uint8_t* dst = reinterpret_cast<uint8_t*>(out.data() + base);
      int got = swr_convert(s.swr, &dst, 4096, nullptr, 0);
      if (got < 0) throw Error("resampling failed");
      got = int(std::min<uint64_t>(uint64_t(got), total - std::min(total, s.out)));
      out.resize(base + size_t(got));
      s.out += uint64_t(got);
      if (got == 0) break;
    }
  }
  s.finished = true;
  out.resize(out.size() + size_t(total - s.out), 0.0f);  // what the filter's delay still held
  s.out = total;
}

}  // namespace mm::media
