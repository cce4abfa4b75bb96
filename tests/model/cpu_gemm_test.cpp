// The small-batch CPU kernel (lib/model/cpu_gemm.h) against the exact product: float32 and
// bfloat16 weights, sizes that are not multiples of the vector width, 1 to 16 rows, strided
// inputs, and the same bits whatever the number of threads; at each SIMD level this CPU has.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "model/cpu_gemm.h"
#include "kernel_available.h"

using mm::model::SimdLevel;
using mm::model::small_batch_linear;
using mm::model::small_batch_linear_applies;

namespace {

// The exact product in double precision, from the same (already rounded) operands.
at::Tensor exact(const at::Tensor& x, const at::Tensor& w) { return at::matmul(x.to(at::kDouble), w.to(at::kDouble).t()); }

// Summing k products in float32 errs by about k ulps of the magnitudes summed; a bfloat16
// result adds its own rounding (8 bits of mantissa).
void check_close(const at::Tensor& ours, const at::Tensor& x, const at::Tensor& w, const std::string& what) {
  at::Tensor want = exact(x, w);
  at::Tensor scale = at::matmul(x.to(at::kDouble).abs(), w.to(at::kDouble).abs().t());
  const double k = double(w.size(1));
  const double relative = ours.scalar_type() == at::kBFloat16 ? 1.0 / 256 : 2.4e-7 * k;
  at::Tensor err = (ours.to(at::kDouble) - want).abs() - scale * relative;
  INFO(what);
  CHECK((ours.sizes() == want.sizes()));
  CHECK(err.max().item<double>() <= 1e-30);
}

// Every level this CPU runs, each chosen in turn; the best is restored at the end.
struct Levels {
  std::vector<SimdLevel> all;
  Levels() {
    const SimdLevel best = mm::model::simd_level();
    for (SimdLevel l : {SimdLevel::avx2, SimdLevel::avx512, SimdLevel::avx512_bf16})
      if (l <= best) all.push_back(l);
  }
  ~Levels() { mm::model::set_simd_level(SimdLevel::avx512_bf16); }
};

const char* name(SimdLevel level) {
  return level == SimdLevel::avx512_bf16 ? "avx512_bf16" : level == SimdLevel::avx512 ? "avx512" : "avx2";
}

}  // namespace

TEST_CASE("the kernel equals the exact product for float32 and bfloat16, odd sizes, 1 to 16 rows") {
  if (!kernel_here()) return;
  c10::InferenceMode inference;
  at::manual_seed(7);
  const int64_t sizes[][2] = {{1, 1}, {3, 7}, {5, 8}, {13, 9}, {64, 96}, {97, 100}, {130, 384}, {7, 1030}};
  Levels levels;
  for (SimdLevel level : levels.all) {
    mm::model::set_simd_level(level);
    for (at::ScalarType type : {at::kFloat, at::kBFloat16})
      for (const auto& nk : sizes)
        for (int64_t m = 1; m <= mm::model::kSmallBatchMaxRows; ++m) {
          const int64_t n = nk[0], k = nk[1];
          at::Tensor w = at::randn({n, k}).to(type), x = at::randn({m, k}).to(type);
          REQUIRE(small_batch_linear_applies(x, w));
          at::Tensor y = small_batch_linear(x, w);
          CHECK((y.scalar_type() == type));
          check_close(y, x, w,
                      std::string(name(level)) + (type == at::kFloat ? " f32" : " bf16") + " m=" + std::to_string(m) +
                          " n=" + std::to_string(n) + " k=" + std::to_string(k));
        }
  }
}

TEST_CASE("mixed dtypes, leading dimensions and strided inputs") {
  if (!kernel_here()) return;
  c10::InferenceMode inference;
  at::manual_seed(8);
  at::Tensor w = at::randn({45, 70}).to(at::kBFloat16);
  at::Tensor x = at::randn({2, 3, 70});  // float32 rows against bfloat16 weights
  at::Tensor y = small_batch_linear(x, w);
  CHECK((y.sizes() == at::IntArrayRef({2, 3, 45})));
  CHECK((y.scalar_type() == at::kFloat));
  check_close(y.view({6, 45}), x.view({6, 70}), w, "[2, 3, k] f32 x bf16");

  at::Tensor wide = at::randn({70, 5});  // columns of this are rows of x, 5 apart in memory
  at::Tensor strided = wide.t();
  REQUIRE(!strided.is_contiguous());
  check_close(small_batch_linear(strided, w), strided, w, "transposed x");
}

TEST_CASE("one thread and two give the same bits") {
  if (!kernel_here()) return;
  c10::InferenceMode inference;
  at::manual_seed(9);
  const int threads = at::get_num_threads();
  Levels levels;
  for (SimdLevel level : levels.all) {
    mm::model::set_simd_level(level);
    for (at::ScalarType type : {at::kFloat, at::kBFloat16})
      for (int64_t m : {1, 2, 5, 8, 16}) {
        // Enough rows of W that two threads split them.
        at::Tensor w = at::randn({1001, 389}).to(type), x = at::randn({m, 389}).to(type);
        at::set_num_threads(1);
        at::Tensor one = small_batch_linear(x, w);
        at::set_num_threads(2);
        at::Tensor two = small_batch_linear(x, w);
        INFO(name(level) << " m=" << m);
        CHECK(at::equal(one, two));
      }
  }
  at::set_num_threads(threads);
}

TEST_CASE("the kernel stands aside for autograd, many rows and other dtypes") {
  if (!kernel_here()) return;
  at::Tensor w = at::randn({8, 16}), x = at::randn({4, 16});
  {
    at::AutoGradMode grad(true);
    CHECK_FALSE(small_batch_linear_applies(x, w));  // training keeps libtorch's arithmetic
  }
  at::NoGradGuard no_grad;
  CHECK(small_batch_linear_applies(x, w));
  CHECK_FALSE(small_batch_linear_applies(at::randn({mm::model::kSmallBatchMaxRows + 1, 16}), w));
  CHECK_FALSE(small_batch_linear_applies(x.to(at::kHalf), w.to(at::kHalf)));
  CHECK_FALSE(small_batch_linear_applies(x, w.t()));           // not contiguous
  CHECK_FALSE(small_batch_linear_applies(at::randn({4, 8}), w));  // K mismatch
}
