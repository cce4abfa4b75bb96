// The metadata of image and video segments: everything needed to render the codes back.
//
//   "grid": {"width": W, "height": H}   codes per row and rows per frame (W = patches * levels)
//   "patch": 8, "levels": 2             pixels per patch side; codes per patch, level 0 first
//   "frame": {"width", "height"}        the coded frame in pixels (the grid's patches)
//   "content": {"x", "y", "width", "height"}  where the picture lies in the frame; the rest is
//                                       padding that rendering cuts away
//   video only: "frames": N, "fps": F, "timestamps": [seconds from the source's start, one
//   per frame], "part": P (0 for a video's first segment; a long video is written as several
//   segments, and P > 0 continues the one before)
#pragma once

#include <string>
#include <vector>

#include "tokenize/image_tokenizer.h"

namespace mm::tokenize {

struct VisualGeometry {
  int patch = 8, levels = 1;
  int patches_x = 0, patches_y = 0;
  int content_x = 0, content_y = 0, content_width = 0, content_height = 0;
  // Video.
  int frames = 1;
  double fps = 0;
  std::vector<double> timestamps;
  int part = 0;

  int grid_width() const { return patches_x * levels; }
  int grid_height() const { return patches_y; }
  size_t codes_per_frame() const { return size_t(grid_width()) * grid_height(); }
  int frame_width() const { return patches_x * patch; }
  int frame_height() const { return patches_y * patch; }
};

// The geometry of a grid of codes with nothing cut away: what a generator that chose the
// grid (codes per row, rows) writes. `levels` 0: all the codebook's levels when
// `grid_width` is a multiple of them, else one level (a grid chosen without the codebook
// in mind still renders). Throws mm::Error when `grid_width` is not a whole number of
// patches at the `levels` given.
VisualGeometry geometry_for_grid(const ImageTokenizer& tokenizer, int grid_width, int grid_height, int levels = 0);

// The JSON object of the keys above (without modality, tokenizer and vocab_size; pass it
// as `extra` to stream::segment_metadata). `video` adds frames, fps, timestamps and part.
std::string visual_metadata_fields(const VisualGeometry& geometry, bool video);

// Reads and checks the keys above from a segment's metadata JSON. Throws mm::Error naming
// what is missing or inconsistent.
VisualGeometry parse_visual_metadata(const std::string& json, bool video);

}  // namespace mm::tokenize
