// Attention for a few new positions on the CPU (decoding): scores, softmax and the weighted
// sum of the values in float32 whatever the cache's dtype, straight from the cache's
// memory. libtorch's batched products for these shapes are slow, and in bfloat16 they
// build (and keep) a new oneDNN kernel for every key length, so that memory grew with every
// step. Each output is summed in one fixed order, whatever the number of threads. This
// header includes torch: libmm-backbone only.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace mm::model {

// Whether small_batch_attention() serves these arguments: CPU tensors of one dtype, float32
// or bfloat16, head_dim a multiple of 8, keys and values with contiguous rows, at most
// kSmallBatchMaxRows new positions, gradient mode off, and the kernel available.
bool small_batch_attention_applies(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                   int64_t positions);

// q [B, kv_heads, group * T, head_dim], the `group` query heads that share key head h laid
// out as rows g * T + t; keys, values [B, kv_heads, L, head_dim]; mask additive [B or 1, 1,
// T, L], or undefined when every key is visible. softmax(q·kᵀ / sqrt(head_dim) + mask)·v as
// [B, kv_heads, group * T, head_dim] in q's dtype.
at::Tensor small_batch_attention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                 const at::Tensor& mask, int64_t positions);

}  // namespace mm::model
