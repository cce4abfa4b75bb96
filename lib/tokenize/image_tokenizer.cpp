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
                                      double threshold, int beam) const {
  beam = beam > 0 ? std::min(beam, 8) : beam_;
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
    std::vector<uint32_t> found_codes;
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
      if (beam > 1 && levels > 1 && n > 0) {
        encode_beam(vectors.data(), n, levels, beam, found_codes);
        for (int i = 0; i < n; ++i)
          std::copy(&found_codes[size_t(i) * levels], &found_codes[size_t(i) * levels] + levels,
                    codes.begin() + long(base + (size_t(row) * px + searched[i]) * levels));
        continue;
      }
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

void ImageTokenizer::encode_beam(const float* vectors, int n, int levels, int beam, std::vector<uint32_t>& out) const {
  const int B = beam, D = book_.dims;
  // Per patch, B partial codings: their residual, codes so far and squared error.
  std::vector<float> residual(size_t(n) * B * D), next_residual(residual.size());
  std::vector<uint32_t> chosen(size_t(n) * B * levels), next_chosen(chosen.size());
  std::vector<float> error(size_t(n) * B), next_error(error.size());
  std::vector<uint32_t> ids(size_t(n) * B * B);
  std::vector<float> scores(ids.size());
  search_[0]->find_top(vectors, n, B, ids.data(), scores.data());
  for (int i = 0; i < n; ++i) {
    const float* v = vectors + size_t(i) * D;
    double norm = 0;
    for (int d = 0; d < D; ++d) norm += double(v[d]) * v[d];
    for (int b = 0; b < B; ++b) {
      uint32_t id = ids[size_t(i) * B + b];
      const float* c = book_.centroid(0, int(id));
      float* r = &residual[(size_t(i) * B + b) * D];
      for (int d = 0; d < D; ++d) r[d] = v[d] - c[d];
      chosen[(size_t(i) * B + b) * levels] = id;
      error[size_t(i) * B + b] = float(norm - 2.0 * scores[size_t(i) * B + b]);
    }
  }
  std::vector<std::pair<float, int>> options(size_t(B) * B);
  for (int level = 1; level < levels; ++level) {
    search_[level]->find_top(residual.data(), n * B, B, ids.data(), scores.data());
    for (int i = 0; i < n; ++i) {
      for (int b = 0; b < B; ++b)
        for (int j = 0; j < B; ++j) {
          size_t at = (size_t(i) * B + b) * B + j;
          options[size_t(b) * B + j] = {error[size_t(i) * B + b] - 2 * scores[at], b * B + j};
        }
      // The B best extensions; ties keep the earlier (a deterministic order).
      std::partial_sort(options.begin(), options.begin() + B, options.end());
      for (int k = 0; k < B; ++k) {
        int b = options[k].second / B, j = options[k].second % B;
        uint32_t id = ids[(size_t(i) * B + b) * B + j];
        const float* c = book_.centroid(level, int(id));
        const float* r = &residual[(size_t(i) * B + b) * D];
        float* nr = &next_residual[(size_t(i) * B + k) * D];
        for (int d = 0; d < D; ++d) nr[d] = r[d] - c[d];
        std::copy(&chosen[(size_t(i) * B + b) * levels], &chosen[(size_t(i) * B + b) * levels] + level,
                  &next_chosen[(size_t(i) * B + k) * levels]);
        next_chosen[(size_t(i) * B + k) * levels + level] = id;
        next_error[size_t(i) * B + k] = options[k].first;
      }
    }
    residual.swap(next_residual);
    chosen.swap(next_chosen);
    error.swap(next_error);
  }
  out.resize(size_t(n) * levels);
  for (int i = 0; i < n; ++i)  // the first of each patch's beam is its best
    std::copy(&chosen[size_t(i) * B * levels], &chosen[size_t(i) * B * levels] + levels, &out[size_t(i) * levels]);
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
