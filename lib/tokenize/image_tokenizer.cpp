#include "tokenize/image_tokenizer.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <thread>

#include "error.h"

namespace mm::tokenize {

ImageTokenizer ImageTokenizer::load(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) throw Error(path + ": no such codebook file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_bytes(bytes, path);
}

ImageTokenizer ImageTokenizer::from_bytes(std::string_view bytes, const std::string& name) {
  ImageTokenizer t;
  t.book_ = parse_codebook(bytes, name);
  t.id_ = codebook_id(bytes);
  t.set_search(kDefaultLists, kDefaultProbes);
  return t;
}

void ImageTokenizer::set_search(int lists, int probes) {
  search_.clear();
  for (int level = 0; level < book_.levels; ++level)
    search_.push_back(std::make_shared<NearestSearch>(book_.centroid(level, 0), book_.codes, book_.dims,
                                                      lists, probes));
}

void ImageTokenizer::encode(const media::Image& frame, int levels, std::vector<uint32_t>& codes, int threads) const {
  encode_reusing(frame, levels, codes, threads, media::Image{}, nullptr, -1);
}

size_t ImageTokenizer::encode_reusing(const media::Image& frame, int levels, std::vector<uint32_t>& codes, int threads,
                                      const media::Image& previous, const uint32_t* previous_codes,
                                      double threshold) const {
  const int P = book_.patch;
  if (levels <= 0) levels = book_.levels;
  if (levels > book_.levels)
    throw UsageError("the codebook has " + std::to_string(book_.levels) + " levels, not " + std::to_string(levels));
  if (frame.width % P || frame.height % P || frame.width <= 0 || frame.height <= 0)
    throw Error("frame of " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                " is not a whole number of " + std::to_string(P) + "-pixel patches");
  const int px = frame.width / P, py = frame.height / P;
  const bool reuse = previous_codes && threshold >= 0 && previous.width == frame.width &&
                     previous.height == frame.height && previous.rgb.size() == frame.rgb.size();
  const double limit = threshold * 3 * P * P;  // summed squared error over the patch's samples
  size_t base = codes.size();
  codes.resize(base + size_t(px) * py * levels);
  std::vector<size_t> reused_by(std::max(1, threads), 0);
  auto rows = [&](int first, int last, size_t& reused) {
    std::vector<float> vectors(size_t(px) * book_.dims);
    std::vector<uint32_t> found(px);
    std::vector<int> searched;  // patches of this row that need the search
    for (int row = first; row < last; ++row) {
      searched.clear();
      for (int x = 0; x < px; ++x) {
        if (reuse) {
          long error = 0;
          for (int dy = 0; dy < P && error <= limit; ++dy) {
            size_t at = (size_t(row * P + dy) * frame.width + size_t(x) * P) * 3;
            for (int i = 0; i < 3 * P; ++i) {
              int d = int(frame.rgb[at + i]) - int(previous.rgb[at + i]);
              error += d * d;
            }
          }
          if (error <= limit) {
            size_t at = (size_t(row) * px + x) * levels;
            std::copy(previous_codes + at, previous_codes + at + levels, codes.begin() + long(base + at));
            ++reused;
            continue;
          }
        }
        patch_to_vector(frame.rgb.data(), frame.width, x * P, row * P, P, book_.chroma_block,
                        &vectors[searched.size() * book_.dims]);
        searched.push_back(x);
      }
      const int n = int(searched.size());
      for (int level = 0; level < levels; ++level) {
        search_[level]->find(vectors.data(), n, found.data());
        for (int i = 0; i < n; ++i) {
          codes[base + (size_t(row) * px + searched[i]) * levels + level] = found[i];
          if (level + 1 < levels) {  // what this level left, for the next
            const float* c = book_.centroid(level, int(found[i]));
            float* v = &vectors[size_t(i) * book_.dims];
            for (int d = 0; d < book_.dims; ++d) v[d] -= c[d];
          }
        }
      }
    }
  };
  threads = std::max(1, std::min(threads, py));
  if (threads == 1) {
    rows(0, py, reused_by[0]);
    return reused_by[0];
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(rows, py * t / threads, py * (t + 1) / threads, std::ref(reused_by[t]));
  for (auto& t : pool) t.join();
  size_t total = 0;
  for (size_t r : reused_by) total += r;
  return total;
}

media::Image ImageTokenizer::decode(const uint32_t* codes, size_t count, int patches_x, int patches_y, int levels) const {
  const int P = book_.patch;
  if (levels < 1 || levels > book_.levels)
    throw Error("the segment uses " + std::to_string(levels) + " levels; the codebook has " +
                std::to_string(book_.levels));
  if (patches_x < 1 || patches_y < 1 || patches_x > 16384 / P || patches_y > 16384 / P ||
      count != size_t(patches_x) * patches_y * levels)
    throw Error("image of " + std::to_string(patches_x) + "x" + std::to_string(patches_y) + " patches at " +
                std::to_string(levels) + " levels needs " + std::to_string(size_t(patches_x) * patches_y * levels) +
                " codes, the segment has " + std::to_string(count));
  media::Image frame;
  frame.width = patches_x * P;
  frame.height = patches_y * P;
  frame.rgb.resize(size_t(frame.width) * frame.height * 3);
  std::vector<float> v(book_.dims);
  for (int y = 0; y < patches_y; ++y)
    for (int x = 0; x < patches_x; ++x) {
      std::fill(v.begin(), v.end(), 0.f);
      for (int level = 0; level < levels; ++level) {
        uint32_t code = codes[(size_t(y) * patches_x + x) * levels + level];
        if (code >= uint32_t(book_.codes))
          throw Error("code " + std::to_string(code) + " is beyond the codebook's " + std::to_string(book_.codes));
        const float* c = book_.centroid(level, int(code));
        for (int d = 0; d < book_.dims; ++d) v[d] += c[d];
      }
      vector_to_patch(v.data(), P, book_.chroma_block, frame.rgb.data(), frame.width, x * P, y * P);
    }
  return frame;
}

}  // namespace mm::tokenize
