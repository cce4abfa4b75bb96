#include "model/cpu_gemm.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <atomic>
#include <type_traits>
#include <vector>

#include "model/cpu_simd.h"

namespace mm::model {

namespace {

#if MM_SMALL_BATCH_KERNEL

using simd::kLanes;
using simd::load8;
using simd::store;

// The last count (< 8) weights of a row, zero beyond them (x is zero there too).
template <class W>
MM_AVX2 inline __m256 load_tail(const W* w, int64_t count) {
  W padded[kLanes] = {};
  std::copy(w, w + count, padded);
  return load8(padded);
}

// The eight lanes summed in one fixed order.
MM_AVX2 inline float sum_lanes(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// y[i][r] = x[i]·w[r] for MR rows of x (float32, stride xs, zero-padded to a multiple of 8)
// and NR rows of w (k weights each). Every output lane accumulates the same products in
// the same order whatever MR and NR are, so the tiling never changes a result. While it
// works, the next NR rows of w are prefetched (a prefetch never faults, past W's end too):
// without that the loads of w waited on memory and streamed at half the bandwidth.
template <int MR, int NR, class W, class Y>
MM_AVX2 void tile(const float* x, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) acc[i][r] = _mm256_setzero_ps();
  const int64_t full = k / kLanes * kLanes;
  for (int64_t c = 0; c < full; c += kLanes) {
    __m256 wv[NR];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) wv[r] = load8(w + r * k + c);
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + r) * k + c), _MM_HINT_T0);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * xs + c);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm256_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  if (full < k) {
    __m256 wv[NR];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) wv[r] = load_tail(w + r * k + full, k - full);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * xs + full);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm256_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) store(sum_lanes(acc[i][r]), y + i * ys + r);
}

// All m rows of x against NR rows of w, in tiles of up to MR rows of x.
template <int MR, int NR, class W, class Y>
MM_AVX2 void rows_of_w(const float* x, int64_t m, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys) {
  int64_t i = 0;
  for (; i + MR <= m; i += MR) tile<MR, NR>(x + i * xs, xs, w, k, y + i * ys, ys);
  const int64_t left = m - i;
  x += i * xs;
  y += i * ys;
  if constexpr (MR > 3) if (left == 3) tile<3, NR>(x, xs, w, k, y, ys);
  if constexpr (MR > 2) if (left == 2) tile<2, NR>(x, xs, w, k, y, ys);
  if constexpr (MR > 1) if (left == 1) tile<1, NR>(x, xs, w, k, y, ys);
}

// Output columns [begin, end) of y [m, n], in blocks of NR rows of w.
template <int MR, int NR, class W, class Y>
MM_AVX2 void columns(const float* x, int64_t m, int64_t xs, const W* w, int64_t k, Y* y, int64_t n, int64_t begin,
                     int64_t end) {
  int64_t j = begin;
  for (; j + NR <= end; j += NR) rows_of_w<MR, NR>(x, m, xs, w + j * k, k, y + j, n);
  for (; j < end; ++j) rows_of_w<MR, 1>(x, m, xs, w + j * k, k, y + j, n);
}

// The same tiles with AVX-512: sixteen lanes and 32 registers, so a tile can hold all eight
// rows of a batch of eight (8 x 3 accumulators) and widen each bfloat16 weight once. The
// lanes are summed in a different order than AVX2's, so the two give slightly different
// bits; a machine always uses the same one for a given weight dtype.
MM_AVX512 inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
MM_AVX512 inline __m512 load16(const c10::BFloat16* p) {
  __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
// The first count (< 16) values, zero beyond them; nothing past them is read.
MM_AVX512 inline __m512 load16(const float* p, int64_t count) {
  return _mm512_maskz_loadu_ps(__mmask16((1u << count) - 1), p);
}
MM_AVX512 inline __m512 load16(const c10::BFloat16* p, int64_t count) {
  __m256i bits = _mm256_maskz_loadu_epi16(__mmask16((1u << count) - 1), p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
MM_AVX512 inline float sum_lanes(__m512 v) {
  float lanes[16];
  _mm512_storeu_ps(lanes, v);
  return sum_lanes(_mm256_add_ps(_mm256_loadu_ps(lanes), _mm256_loadu_ps(lanes + 8)));
}

struct Fma512 {
  using X = float;  // rows of x widened to float32
  template <int MR, int NR, class W, class Y>
  MM_AVX512 static void tile(const float* x, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys);
};

template <int MR, int NR, class W, class Y>
MM_AVX512 void Fma512::tile(const float* x, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys) {
  __m512 acc[MR][NR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) acc[i][r] = _mm512_setzero_ps();
  const int64_t full = k / 16 * 16;
  for (int64_t c = 0; c < full; c += 16) {
    __m512 wv[NR];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) wv[r] = load16(w + r * k + c);
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + r) * k + c), _MM_HINT_T0);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_loadu_ps(x + i * xs + c);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm512_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  if (full < k) {
    __m512 wv[NR];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) wv[r] = load16(w + r * k + full, k - full);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 xv = load16(x + i * xs + full, k - full);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm512_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) store(sum_lanes(acc[i][r]), y + i * ys + r);
}


// AVX512-BF16: with x in bfloat16 too (a bfloat16 model's activations already are), one
// instruction multiplies 32 pairs exactly and adds them into 16 float32 lanes, two pairs a
// lane in a fixed order, with no widening of the weights at all.
MM_AVX512_BF16 inline __m512i load32(const c10::BFloat16* p) { return _mm512_loadu_si512(p); }
MM_AVX512_BF16 inline __m512i load32(const c10::BFloat16* p, int64_t count) {  // count < 32; zero beyond
  return _mm512_maskz_loadu_epi16(__mmask32((uint64_t(1) << count) - 1), p);
}

struct Dot512 {
  using X = c10::BFloat16;
  template <int MR, int NR, class W, class Y>
  MM_AVX512_BF16 static void tile(const c10::BFloat16* x, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys);
};

template <int MR, int NR, class W, class Y>
MM_AVX512_BF16 void Dot512::tile(const c10::BFloat16* x, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys) {
  static_assert(std::is_same_v<W, c10::BFloat16>, "bfloat16 weights only");
  __m512 acc[MR][NR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) acc[i][r] = _mm512_setzero_ps();
  const int64_t full = k / 32 * 32;
  for (int64_t c = 0; c < full; c += 32) {
    __m512i wv[NR];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) wv[r] = load32(w + r * k + c);
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) _mm_prefetch(reinterpret_cast<const char*>(w + (NR + r) * k + c), _MM_HINT_T0);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512bh xv = (__m512bh)load32(x + i * xs + c);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], (__m512bh)wv[r], xv);
    }
  }
  if (full < k) {
    __m512i wv[NR];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) wv[r] = load32(w + r * k + full, k - full);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512bh xv = (__m512bh)load32(x + i * xs + full, k - full);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], (__m512bh)wv[r], xv);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) store(sum_lanes(acc[i][r]), y + i * ys + r);
}

// The rows left over after whole tiles of x: one tile of exactly `left` (< MR) rows.
template <class Tile, int MR, int NR, class X, class W, class Y>
void leftover512(int64_t left, const X* x, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys) {
  if constexpr (MR > 1) {
    if (left == MR - 1)
      Tile::template tile<MR - 1, NR>(x, xs, w, k, y, ys);
    else
      leftover512<Tile, MR - 1, NR>(left, x, xs, w, k, y, ys);
  }
}

template <class Tile, int MR, int NR, class X, class W, class Y>
void rows_of_w512(const X* x, int64_t m, int64_t xs, const W* w, int64_t k, Y* y, int64_t ys) {
  int64_t i = 0;
  for (; i + MR <= m; i += MR) Tile::template tile<MR, NR>(x + i * xs, xs, w, k, y + i * ys, ys);
  if (i < m) leftover512<Tile, MR, NR>(m - i, x + i * xs, xs, w, k, y + i * ys, ys);
}

template <class Tile, int MR, int NR, class X, class W, class Y>
void columns512(const X* x, int64_t m, int64_t xs, const W* w, int64_t k, Y* y, int64_t n, int64_t begin, int64_t end) {
  int64_t j = begin;
  for (; j + NR <= end; j += NR) rows_of_w512<Tile, MR, NR>(x, m, xs, w + j * k, k, y + j, n);
  for (; j < end; ++j) rows_of_w512<Tile, MR, 1>(x, m, xs, w + j * k, k, y + j, n);
}

// A tile of MR rows of x by NR rows of w holds MR x NR accumulators, NR weight vectors and
// one of x in registers (AVX2 has 16, AVX-512 32). Each weight vector loaded serves the
// tile's MR rows.
template <class Tile, int MR, int NR, class X, class W, class Y>
void product_in_tiles(const X* x, int64_t m, int64_t xs, const W* w, int64_t k, Y* y, int64_t n) {
  constexpr bool wide = !std::is_void_v<Tile>;
  static_assert(MR * NR + NR + 1 <= (wide ? 32 : 16), "the tile must fit the registers");
  // Split the rows of W across threads in whole blocks; a thread's share should be worth
  // waking it for (tens of thousands of weights).
  const int64_t blocks = (n + NR - 1) / NR;
  const int64_t grain = std::max<int64_t>(1, (64 * 1024) / (NR * k));
  at::parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    if constexpr (wide)
      columns512<Tile, MR, NR>(x, m, xs, w, k, y, n, b0 * NR, std::min(n, b1 * NR));
    else
      columns<MR, NR>(x, m, xs, w, k, y, n, b0 * NR, std::min(n, b1 * NR));
  });
}

template <class W, class Y>
void product(const float* x, int64_t m, int64_t xs, const W* w, int64_t k, Y* y, int64_t n) {
  // Few rows: W streams from memory, four rows of it at once. More: more rows of x per
  // weight loaded, as many as the registers hold. AVX-512 serves bfloat16 weights, where it
  // widens each weight once for a batch of eight; for float32 weights its tiles measured
  // slower than AVX2's on a Zen 5 (load-bound), so those stay on AVX2.
  if (simd_level() >= SimdLevel::avx512 && std::is_same_v<W, c10::BFloat16>) {
    if (m <= 2)
      product_in_tiles<Fma512, 2, 4>(x, m, xs, w, k, y, n);
    else
      product_in_tiles<Fma512, 8, 3>(x, m, xs, w, k, y, n);
  } else {
    if (m <= 2)
      product_in_tiles<void, 2, 4>(x, m, xs, w, k, y, n);
    else
      product_in_tiles<void, 4, 3>(x, m, xs, w, k, y, n);
  }
}

// bfloat16 rows of x (xs apart) against bfloat16 weights, by AVX512-BF16 dot products.
template <class Y>
void product_bf16(const c10::BFloat16* x, int64_t m, int64_t xs, const c10::BFloat16* w, int64_t k, Y* y, int64_t n) {
  if (m <= 2)
    product_in_tiles<Dot512, 2, 4>(x, m, xs, w, k, y, n);
  else
    product_in_tiles<Dot512, 8, 3>(x, m, xs, w, k, y, n);
}

#endif  // MM_SMALL_BATCH_KERNEL

bool kernel_dtype(at::ScalarType t) { return t == at::kFloat || t == at::kBFloat16; }

}  // namespace

namespace {

SimdLevel best_simd_level() {
#if MM_SMALL_BATCH_KERNEL
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return SimdLevel::none;
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl"))
    return SimdLevel::avx2;
#if MM_AVX512_BF16_KNOWN
  if (__builtin_cpu_supports("avx512bf16")) return SimdLevel::avx512_bf16;
#endif
  return SimdLevel::avx512;
#else
  return SimdLevel::none;
#endif
}

std::atomic<SimdLevel>& chosen_simd_level() {
  static std::atomic<SimdLevel> level{best_simd_level()};
  return level;
}

}  // namespace

SimdLevel simd_level() { return chosen_simd_level().load(std::memory_order_relaxed); }

void set_simd_level(SimdLevel level) { chosen_simd_level() = std::min(level, best_simd_level()); }

bool small_batch_kernel_available() { return simd_level() != SimdLevel::none; }

bool small_batch_linear_applies(const at::Tensor& x, const at::Tensor& weight) {
  if (!small_batch_kernel_available() || at::GradMode::is_enabled()) return false;
  if (!x.device().is_cpu() || !weight.device().is_cpu()) return false;
  if (!kernel_dtype(x.scalar_type()) || !kernel_dtype(weight.scalar_type())) return false;
  if (weight.dim() != 2 || !weight.is_contiguous() || x.dim() < 1) return false;
  const int64_t k = weight.size(1);
  if (k == 0 || x.size(-1) != k || x.numel() == 0) return false;
  return x.numel() / k <= kSmallBatchMaxRows;
}

at::Tensor small_batch_linear(const at::Tensor& x, const at::Tensor& weight) {
  TORCH_CHECK(small_batch_linear_applies(x, weight), "small_batch_linear: unsupported arguments");
#if MM_SMALL_BATCH_KERNEL
  const int64_t k = weight.size(1), n = weight.size(0), m = x.numel() / k;
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = n;
  at::Tensor y = at::empty(shape, x.options());
  at::Tensor rows = x.reshape({m, k});
  const int64_t row_stride = rows.stride(0), step = rows.stride(1);
  if (simd_level() == SimdLevel::avx512_bf16 && x.scalar_type() == at::kBFloat16 &&
      weight.scalar_type() == at::kBFloat16) {
    // x as it is, in bfloat16: each row contiguous (the dot products read past nothing).
    thread_local std::vector<c10::BFloat16> packed;
    packed.resize(size_t(m * k));
    for (int64_t i = 0; i < m; ++i) {
      const c10::BFloat16* from = rows.data_ptr<c10::BFloat16>() + i * row_stride;
      for (int64_t c = 0; c < k; ++c) packed[size_t(i * k + c)] = from[c * step];
    }
    product_bf16(packed.data(), m, k, weight.data_ptr<c10::BFloat16>(), k, y.data_ptr<c10::BFloat16>(), n);
    return y;
  }
  // x in float32, each row zero-padded to whole vectors: the kernel reads it once per tile.
  const int64_t xs = (k + kLanes - 1) / kLanes * kLanes;
  thread_local std::vector<float> packed;
  packed.assign(size_t(m * xs), 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    float* to = packed.data() + i * xs;
    if (rows.scalar_type() == at::kFloat) {
      const float* from = rows.data_ptr<float>() + i * row_stride;
      for (int64_t c = 0; c < k; ++c) to[c] = from[c * step];
    } else {
      const c10::BFloat16* from = rows.data_ptr<c10::BFloat16>() + i * row_stride;
      for (int64_t c = 0; c < k; ++c) to[c] = float(from[c * step]);
    }
  }
  const float* xp = packed.data();
  if (weight.scalar_type() == at::kFloat) {
    const float* w = weight.data_ptr<float>();
    if (y.scalar_type() == at::kFloat)
      product(xp, m, xs, w, k, y.data_ptr<float>(), n);
    else
      product(xp, m, xs, w, k, y.data_ptr<c10::BFloat16>(), n);
  } else {
    const c10::BFloat16* w = weight.data_ptr<c10::BFloat16>();
    if (y.scalar_type() == at::kFloat)
      product(xp, m, xs, w, k, y.data_ptr<float>(), n);
    else
      product(xp, m, xs, w, k, y.data_ptr<c10::BFloat16>(), n);
  }
  return y;
#else
  return at::linear(x, weight);  // not reached: without the kernel nothing applies
#endif
}

#if MM_SMALL_BATCH_KERNEL
void small_batch_product(const float* x, int64_t m, int64_t xs, const float* w, int64_t k, int64_t n, float* y) {
  product(x, m, xs, w, k, y, n);
}
void small_batch_product(const float* x, int64_t m, int64_t xs, const c10::BFloat16* w, int64_t k, int64_t n, float* y) {
  product(x, m, xs, w, k, y, n);
}
#endif

}  // namespace mm::model
