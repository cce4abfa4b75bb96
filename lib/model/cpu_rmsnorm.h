// RMS normalisation of rows on the CPU in one pass, for inference: libtorch spends eight
// operators (a float32 copy, square, mean, add, rsqrt, multiply, the copy back, the
// weight) on what is one loop per row, and when decoding those calls cost more than the
// arithmetic. The same float32 arithmetic as RmsNorm::forward, a row at a time, so the
// result does not depend on the number of threads. This header includes torch:
// libmm-backbone only.
#pragma once

#include <ATen/ATen.h>

namespace mm::model {

// Whether rms_norm_rows(x, weight, eps) serves here: CPU tensors, float32 or bfloat16 of one
// dtype, weight [d] matching x's last dimension, gradient mode off, and decoding sizes (at
// most 16 x 4096 values; a prefill is faster through libtorch).
bool rms_norm_rows_applies(const at::Tensor& x, const at::Tensor& weight);

// weight * (x / sqrt(mean(x²) + eps)) over x's last dimension, normalised in float32 and
// rounded to x's dtype before the weight is applied, as the reference implementation does.
at::Tensor rms_norm_rows(const at::Tensor& x, const at::Tensor& weight, double eps);

}  // namespace mm::model
