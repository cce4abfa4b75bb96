// The CPU decoding attention (lib/model/cpu_attention.h) against the textbook formula in
// double precision: grouped query heads, several new positions, masks per row or shared,
// float32 and bfloat16 caches read through views, and the same bits for 1 and 2 threads.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "model/cpu_attention.h"
#include "model/cpu_gemm.h"
#include "kernel_available.h"

using mm::model::small_batch_attention;
using mm::model::small_batch_attention_applies;

namespace {

// softmax(q·kᵀ/sqrt(d) + mask)·v with query row r = g*T + t masked by mask[b, 0, t].
at::Tensor textbook(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask, int64_t T) {
  const int64_t B = q.size(0), H = q.size(1), R = q.size(2), L = k.size(2);
  at::Tensor scores = at::matmul(q.to(at::kDouble), k.to(at::kDouble).transpose(2, 3)) / std::sqrt(double(q.size(3)));
  if (mask.defined())
    scores = (scores.view({B, H, R / T, T, L}) + mask.to(at::kDouble).unsqueeze(2)).view({B, H, R, L});
  return at::matmul(at::softmax(scores, -1), v.to(at::kDouble));
}

struct Case {
  at::Tensor q, keys, values, mask;
  int64_t T;
};

// A cache with room beyond L (so the keys are a view, as in the backbone) and, when asked,
// a mask hiding a different tail of keys in each row (never all of them).
Case make(at::ScalarType type, int64_t B, int64_t H, int64_t group, int64_t T, int64_t d, int64_t L, bool masked,
          bool shared_mask) {
  Case c;
  c.T = T;
  c.q = at::randn({B, H, group * T, d}).to(type);
  c.keys = at::randn({B, H, L + 3, d}).to(type).narrow(2, 0, L);
  c.values = at::randn({B, H, L + 3, d}).to(type).narrow(2, 0, L);
  if (masked) {
    const int64_t rows = shared_mask ? 1 : B;
    at::Tensor visible = at::randint(1, L + 1, {rows, 1, T, 1});
    at::Tensor position = at::arange(L).view({1, 1, 1, L});
    c.mask = at::zeros({rows, 1, T, L}).masked_fill_(position >= visible, -INFINITY).to(type);
  }
  return c;
}

}  // namespace

TEST_CASE("attention equals the textbook formula: groups, positions, masks, float32 and bfloat16") {
  if (!kernel_here()) return;
  c10::InferenceMode inference;
  at::manual_seed(11);
  int cases = 0;
  for (at::ScalarType type : {at::kFloat, at::kBFloat16})
    for (int64_t B : {1, 3})
      for (int64_t H : {1, 2})
        for (int64_t group : {1, 3})
          for (int64_t T : {1, 2})
            for (int64_t d : {8, 40, 64})
              for (int64_t L : {1, 9, 70})
                for (int mask_kind : {0, 1, 2}) {  // none, per row, shared by the rows
                  Case c = make(type, B, H, group, T, d, L, mask_kind > 0, mask_kind == 2);
                  REQUIRE(small_batch_attention_applies(c.q, c.keys, c.values, T));
                  at::Tensor ours = small_batch_attention(c.q, c.keys, c.values, c.mask, T);
                  at::Tensor want = textbook(c.q, c.keys, c.values, c.mask, T);
                  // Outputs are averages of values of magnitude ~1: float32 keeps ~1e-6 of
                  // them, a bfloat16 result rounds to 2^-9 of its size.
                  const double tolerance = type == at::kFloat ? 2e-5 : 1.0 / 128;
                  const double err = (ours.to(at::kDouble) - want).abs().max().item<double>();
                  INFO((type == at::kFloat ? "f32" : "bf16") << " B=" << B << " H=" << H << " group=" << group
                                                             << " T=" << T << " d=" << d << " L=" << L
                                                             << " mask=" << mask_kind << " err=" << err);
                  CHECK((ours.scalar_type() == type));
                  CHECK(err <= tolerance);
                  ++cases;
                }
  CHECK(cases == 2 * 2 * 2 * 2 * 2 * 3 * 3 * 3);
}

TEST_CASE("attention: one thread and two give the same bits") {
  if (!kernel_here()) return;
  c10::InferenceMode inference;
  at::manual_seed(12);
  const int threads = at::get_num_threads();
  for (at::ScalarType type : {at::kFloat, at::kBFloat16}) {
    Case c = make(type, 8, 2, 3, 1, 64, 300, true, false);
    at::set_num_threads(1);
    at::Tensor one = small_batch_attention(c.q, c.keys, c.values, c.mask, 1);
    at::set_num_threads(2);
    at::Tensor two = small_batch_attention(c.q, c.keys, c.values, c.mask, 1);
    CHECK(at::equal(one, two));
  }
  at::set_num_threads(threads);
}

TEST_CASE("attention stands aside for autograd, odd head sizes and many positions") {
  if (!kernel_here()) return;
  Case c = make(at::kFloat, 1, 1, 2, 1, 16, 5, false, false);
  {
    at::AutoGradMode grad(true);
    CHECK_FALSE(small_batch_attention_applies(c.q, c.keys, c.values, 1));
  }
  at::NoGradGuard no_grad;
  CHECK(small_batch_attention_applies(c.q, c.keys, c.values, 1));
  Case odd = make(at::kFloat, 1, 1, 2, 1, 12, 5, false, false);
  CHECK_FALSE(small_batch_attention_applies(odd.q, odd.keys, odd.values, 1));
  Case many = make(at::kFloat, 1, 1, 1, mm::model::kSmallBatchMaxRows + 1, 16, 40, false, false);
  CHECK_FALSE(small_batch_attention_applies(many.q, many.keys, many.values, mm::model::kSmallBatchMaxRows + 1));
  CHECK_FALSE(small_batch_attention_applies(c.q, c.keys.to(at::kBFloat16), c.values.to(at::kBFloat16), 1));
}
