// The one-pass RMS normalisation (lib/model/cpu_rmsnorm.h) against the operator-by-operator
// formula RmsNorm::forward uses under autograd, float32 and bfloat16, and the same bits for
// 1 and 2 threads.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <doctest/doctest.h>

#include "model/cpu_rmsnorm.h"

using mm::model::rms_norm_rows;
using mm::model::rms_norm_rows_applies;

namespace {

at::Tensor by_operators(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor h = x.to(at::kFloat);
  h = h * at::rsqrt(h.pow(2).mean(-1, true) + eps);
  return weight * h.to(x.scalar_type());
}

}  // namespace

TEST_CASE("rms_norm_rows equals the operator formula for float32 and bfloat16") {
  c10::InferenceMode inference;
  at::manual_seed(21);
  for (at::ScalarType type : {at::kFloat, at::kBFloat16})
    for (int64_t d : {1, 7, 64, 384})
      for (int64_t rows : {1, 3, 40}) {
        at::Tensor x = (at::randn({rows, d}) * 3).to(type), w = (at::rand({d}) + 0.5).to(type);
        REQUIRE(rms_norm_rows_applies(x, w));
        at::Tensor ours = rms_norm_rows(x, w, 1e-5), want = by_operators(x, w, 1e-5);
        // The sums of squares are added in another order: float32 agrees to a few ulps; a
        // bfloat16 value may round the other way (one step of 2^-8).
        const double tolerance = type == at::kFloat ? 1e-5 : 1.0 / 64;
        const double err = ((ours.to(at::kDouble) - want.to(at::kDouble)).abs() /
                            (want.to(at::kDouble).abs() + 1e-3)).max().item<double>();
        INFO((type == at::kFloat ? "f32" : "bf16") << " d=" << d << " rows=" << rows << " err=" << err);
        CHECK((ours.scalar_type() == type));
        CHECK(err <= tolerance);
      }
}

TEST_CASE("rms_norm_rows: leading dimensions, one thread and two") {
  c10::InferenceMode inference;
  at::manual_seed(22);
  at::Tensor x = at::randn({4, 20, 6, 64}), w = at::rand({64});  // 480 rows: two threads split them
  CHECK(at::allclose(rms_norm_rows(x, w, 1e-6), by_operators(x, w, 1e-6), 1e-5, 1e-6));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  at::Tensor one = rms_norm_rows(x, w, 1e-6);
  at::set_num_threads(2);
  at::Tensor two = rms_norm_rows(x, w, 1e-6);
  at::set_num_threads(threads);
  CHECK(at::equal(one, two));
}

TEST_CASE("rms_norm_rows stands aside for autograd and mixed dtypes") {
  at::Tensor x = at::randn({2, 8}), w = at::ones({8});
  {
    at::AutoGradMode grad(true);
    CHECK_FALSE(rms_norm_rows_applies(x, w));
  }
  at::NoGradGuard no_grad;
  CHECK(rms_norm_rows_applies(x, w));
  CHECK_FALSE(rms_norm_rows_applies(x, w.to(at::kBFloat16)));
  CHECK_FALSE(rms_norm_rows_applies(x.to(at::kHalf), w.to(at::kHalf)));
  CHECK_FALSE(rms_norm_rows_applies(x, at::ones({7})));
  CHECK_FALSE(rms_norm_rows_applies(at::randn({256, 384}), at::ones({384})));  // a prefill: libtorch
}
