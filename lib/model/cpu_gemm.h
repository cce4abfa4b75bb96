// Matrix products for a few rows on the CPU: y = x·Wᵀ where x has at most a handful of
// rows (decoding: one per sequence in the batch). Such a product reads every weight once
// and does little arithmetic with it, so its speed is how fast W streams from memory; BLAS
// libraries tuned for large products leave much of that bandwidth unused. This kernel
// loads each block of W once and multiplies it into every row of x, widening bf16 weights
// to float32 as it goes. Each output is summed in one fixed order, whatever the number of
// threads, so seeded runs repeat exactly. This header includes torch: libmm-backbone only.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace mm::model {

// The most rows of x the kernel takes; beyond that a matrix-matrix product reuses each
// weight often enough that libtorch's BLAS is the better choice.
constexpr int64_t kSmallBatchMaxRows = 16;

// The instruction sets the CPU kernels use, checked at run time (the build needs no -march
// flag): AVX2 with FMA; AVX-512 (F, BW, VL) for bfloat16 weights; and AVX512-BF16's dot
// products when x is bfloat16 too (a bfloat16 model).
enum class SimdLevel { none, avx2, avx512, avx512_bf16 };
// The level in use: the best this CPU has, unless set_simd_level() lowered it.
SimdLevel simd_level();
// Lowers the level (or restores it; never above what the CPU has), so that tests and
// benchmarks can run each code path on one machine.
void set_simd_level(SimdLevel level);

// Whether this CPU runs the kernels at all: x86-64 with AVX2 and FMA. Elsewhere the
// *_applies() functions are always false and libtorch does the work.
bool small_batch_kernel_available();

// Whether small_batch_linear(x, weight) may stand in for at::linear(x, weight) here: both
// on the CPU, each float32 or bfloat16, weight [N, K] contiguous, x [..., K] with at most
// kSmallBatchMaxRows rows, and gradient mode off (the kernel has no backward, and training
// keeps libtorch's arithmetic).
bool small_batch_linear_applies(const at::Tensor& x, const at::Tensor& weight);

// at::linear(x, weight) without a bias: [..., K] x [N, K] -> [..., N] in x's dtype, summed
// in float32. Requires small_batch_linear_applies(x, weight).
at::Tensor small_batch_linear(const at::Tensor& x, const at::Tensor& weight);

// The same product on raw rows, for the other CPU kernels of lib/model: y [m, n] = x·wᵀ,
// x float32 with rows xs apart, each zero beyond its k values up to a multiple of 8; w [n, k]
// contiguous. Only where small_batch_kernel_available().
void small_batch_product(const float* x, int64_t m, int64_t xs, const float* w, int64_t k, int64_t n, float* y);
void small_batch_product(const float* x, int64_t m, int64_t xs, const c10::BFloat16* w, int64_t k, int64_t n, float* y);

}  // namespace mm::model
