// What the CPU kernels (cpu_gemm.cpp, cpu_attention.cpp) share: AVX2 code compiled with a
// target attribute, so that the build needs no -march flag and a run-time check chooses it,
// and loads that widen bfloat16 to float32. Internal to libmm-backbone.
#pragma once

#include <c10/util/BFloat16.h>

#include <cstdint>

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wuninitialized
// mistakes for a read of an uninitialised value (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#define MM_SMALL_BATCH_KERNEL 1
#else
#define MM_SMALL_BATCH_KERNEL 0
#endif

#if MM_SMALL_BATCH_KERNEL

// Only ever called after simd_level() (cpu_gemm.h) said the CPU has them.
#define MM_AVX2 __attribute__((target("avx2,fma")))
#define MM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))
#define MM_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma")))
// Whether __builtin_cpu_supports knows "avx512bf16" (GCC 11 and later).
#if !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11
#define MM_AVX512_BF16_KNOWN 1
#else
#define MM_AVX512_BF16_KNOWN 0
#endif

namespace mm::model::simd {

constexpr int64_t kLanes = 8;

MM_AVX2 inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }

// bfloat16 is the upper half of a float32: widen each to 32 bits and shift it up.
MM_AVX2 inline __m256 load8(const c10::BFloat16* p) {
  __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
}

inline void store(float v, float* out) { *out = v; }
inline void store(float v, c10::BFloat16* out) { *out = c10::BFloat16(v); }  // round to nearest even, as torch does

}  // namespace mm::model::simd

#endif
