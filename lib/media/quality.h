// Picture quality measures for tests and benchmarks: PSNR over RGB and SSIM over luma.
#pragma once

#include "media/image.h"

namespace mm::media {

// Peak signal-to-noise ratio in dB over all RGB samples; 99 for identical images.
// Throws mm::Error when the sizes differ.
double psnr(const Image& a, const Image& b);

// Structural similarity (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5) on BT.601 luma.
double ssim(const Image& a, const Image& b);

}  // namespace mm::media
