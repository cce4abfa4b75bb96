// The kernel tests' shared guard: on a CPU without AVX2/FMA the small-batch kernels are
// never used, so their tests say so and pass instead of failing.
#pragma once

#include <doctest/doctest.h>

#include "model/cpu_gemm.h"

inline bool kernel_here() {
  if (!mm::model::small_batch_kernel_available()) {
    MESSAGE("this CPU lacks AVX2/FMA: the kernel is never used here and is not tested");
    return false;
  }
  return true;
}
