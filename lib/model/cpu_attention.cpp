#include "model/cpu_attention.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <type_traits>

#include "model/cpu_gemm.h"
#include "model/cpu_simd.h"

namespace mm::model {

namespace {

#if MM_SMALL_BATCH_KERNEL

using simd::kLanes;
using simd::load8;

template <class Y>
MM_AVX2 inline void store8(__m256 v, Y* out) {
  if constexpr (std::is_same_v<Y, float>) {
    _mm256_storeu_ps(out, v);
  } else {
    float lanes[kLanes];
    _mm256_storeu_ps(lanes, v);
    for (int64_t j = 0; j < kLanes; ++j) simd::store(lanes[j], out + j);
  }
}

// y[i][c .. c + 8 NV) = sum over l of p[i][l] * v[l][c .. c + 8 NV), for MR rows of p (L
// weights each, ps apart) and value rows vs apart. Every output sums its L products in order
// l = 0, 1, ..., whatever the tiling.
template <int MR, int NV, class V, class Y>
MM_AVX2 void weigh_tile(const float* p, int64_t ps, const V* v, int64_t vs, int64_t L, Y* y, int64_t ys) {
  __m256 acc[MR][NV];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t l = 0; l < L; ++l) {
    __m256 vv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) vv[j] = load8(v + l * vs + j * kLanes);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 pb = _mm256_broadcast_ss(p + i * ps + l);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_fmadd_ps(pb, vv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) store8(acc[i][j], y + i * ys + j * kLanes);
}

// MR rows of p against all d columns of v, 32 columns (4 vectors: 3 x 4 accumulators) at a time.
template <int MR, class V, class Y>
MM_AVX2 void weigh_rows(const float* p, int64_t ps, const V* v, int64_t vs, int64_t L, int64_t d, Y* y, int64_t ys) {
  int64_t c = 0;
  for (; c + 4 * kLanes <= d; c += 4 * kLanes) weigh_tile<MR, 4>(p, ps, v + c, vs, L, y + c, ys);
  switch ((d - c) / kLanes) {
    case 3: weigh_tile<MR, 3>(p, ps, v + c, vs, L, y + c, ys); break;
    case 2: weigh_tile<MR, 2>(p, ps, v + c, vs, L, y + c, ys); break;
    case 1: weigh_tile<MR, 1>(p, ps, v + c, vs, L, y + c, ys); break;
    default: break;
  }
}

// y [R, d] = p [R, L] · v [L, d].
template <class V, class Y>
MM_AVX2 void weigh(const float* p, int64_t R, const V* v, int64_t vs, int64_t L, int64_t d, Y* y) {
  int64_t i = 0;
  for (; i + 3 <= R; i += 3) weigh_rows<3>(p + i * L, L, v, vs, L, d, y + i * d, d);
  if (R - i == 2) weigh_rows<2>(p + i * L, L, v, vs, L, d, y + i * d, d);
  if (R - i == 1) weigh_rows<1>(p + i * L, L, v, vs, L, d, y + i * d, d);
}

template <class T>
void attend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& mask,
            int64_t positions, at::Tensor& out) {
  const int64_t B = q.size(0), H = q.size(1), R = q.size(2), d = q.size(3), L = keys.size(2);
  const float scale = float(1.0 / std::sqrt(double(d)));
  at::Tensor qf = q.to(at::kFloat).contiguous();  // d is a multiple of 8: rows need no padding
  at::Tensor scores = at::empty({B, H, R, L}, q.options().dtype(at::kFloat));
  at::Tensor m = mask.defined() ? mask.to(at::kFloat).contiguous() : mask;
  const float* qp = qf.data_ptr<float>();
  float* sp = scores.data_ptr<float>();
  const T* kp = keys.data_ptr<T>();
  const T* vp = values.data_ptr<T>();
  // One (row, key head) pair per task: a few thousand multiply-adds each.
  at::parallel_for(0, B * H, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / H, h = bh % H;
      float* s = sp + bh * R * L;
      small_batch_product(qp + bh * R * d, R, d, kp + b * keys.stride(0) + h * keys.stride(1), d, L, s);
      for (int64_t r = 0; r < R; ++r) {
        float* row = s + r * L;
        const float* add = m.defined() ? m.data_ptr<float>() + (m.size(0) == 1 ? 0 : b) * m.stride(0) +
                                             (r % positions) * m.stride(2)
                                       : nullptr;
        for (int64_t l = 0; l < L; ++l) row[l] = add ? row[l] * scale + add[l] : row[l] * scale;
      }
    }
  });
  at::Tensor probs = at::softmax(scores, -1);
  const float* pp = probs.data_ptr<float>();
  at::parallel_for(0, B * H, 1, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / H, h = bh % H;
      const T* v = vp + b * values.stride(0) + h * values.stride(1);
      T* y = out.data_ptr<T>() + bh * R * d;
      weigh(pp + bh * R * L, R, v, values.stride(2), L, d, y);
    }
  });
}

#endif  // MM_SMALL_BATCH_KERNEL

}  // namespace

bool small_batch_attention_applies(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                   int64_t positions) {
  if (!small_batch_kernel_available() || at::GradMode::is_enabled()) return false;
  if (positions < 1 || positions > kSmallBatchMaxRows) return false;
  if (q.dim() != 4 || keys.dim() != 4 || values.dim() != 4) return false;
  const at::ScalarType t = q.scalar_type();
  if ((t != at::kFloat && t != at::kBFloat16) || keys.scalar_type() != t || values.scalar_type() != t) return false;
  if (!q.device().is_cpu() || !keys.device().is_cpu() || !values.device().is_cpu()) return false;
  const int64_t d = q.size(3);
  if (d % 8 != 0 || keys.size(3) != d || values.size(3) != d || keys.sizes() != values.sizes()) return false;
  if (keys.size(0) != q.size(0) || keys.size(1) != q.size(1) || q.size(2) % positions != 0) return false;
  // Rows of d values, each contiguous; keys' rows also d apart (the product reads them so).
  return keys.stride(3) == 1 && values.stride(3) == 1 && keys.stride(2) == d && keys.size(2) > 0;
}

at::Tensor small_batch_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                 const at::Tensor& mask, int64_t positions) {
  TORCH_CHECK(small_batch_attention_applies(q, keys, values, positions), "small_batch_attention: unsupported arguments");
  TORCH_CHECK(!mask.defined() || (mask.dim() == 4 && (mask.size(0) == 1 || mask.size(0) == q.size(0)) &&
                                  mask.size(2) == positions && mask.size(3) == keys.size(2)),
              "small_batch_attention: the mask's shape does not match");
  at::Tensor out = at::empty(q.sizes(), q.options());
#if MM_SMALL_BATCH_KERNEL
  if (q.scalar_type() == at::kFloat)
    attend<float>(q, keys, values, mask, positions, out);
  else
    attend<c10::BFloat16>(q, keys, values, mask, positions, out);
#endif
  return out;
}

}  // namespace mm::model
