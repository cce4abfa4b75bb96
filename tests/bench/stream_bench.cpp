// make bench: the token stream against `zstd -3` on raw 32-bit ids, in one run, as ratios;
// plus mm-inspect's peak memory on a 1 GiB-of-ids stream and its start-up time.
// Usage: mm-bench-stream [--tokens N] [--dir DIR] [--bindir DIR]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <numeric>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "splitmix64.h"
#include "stream/reader.h"
#include "stream/segment.h"
#include "stream/writer.h"

using namespace mm::stream;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Rng {
  uint64_t state;
  uint64_t next() { return mm::splitmix64(state); }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
};

// Vose's alias method: O(1) draws from a Zipf law over `n` ranks, mapped through a fixed
// permutation so that frequent codes are spread over the id space as in a real vocabulary.
class Zipf {
 public:
  Zipf(uint32_t n, double exponent, uint64_t seed) : prob_(n), alias_(n), ids_(n) {
    std::vector<double> p(n);
    for (uint32_t i = 0; i < n; ++i) p[i] = 1.0 / std::pow(i + 1.0, exponent);
    double sum = std::accumulate(p.begin(), p.end(), 0.0);
    std::vector<uint32_t> small, large;
    for (uint32_t i = 0; i < n; ++i) {
      p[i] = p[i] * n / sum;
      (p[i] < 1 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      uint32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = p[s];
      alias_[s] = l;
      p[l] -= 1 - p[s];
      if (p[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (uint32_t i : large) prob_[i] = 1;
    for (uint32_t i : small) prob_[i] = 1;
    std::iota(ids_.begin(), ids_.end(), 0);
    Rng rng{seed};
    for (uint32_t i = n - 1; i > 0; --i) std::swap(ids_[i], ids_[rng.next() % (i + 1)]);
  }
  uint32_t operator()(Rng& rng) const {
    uint32_t i = uint32_t(rng.next() % prob_.size());
    return ids_[rng.uniform() < prob_[i] ? i : alias_[i]];
  }

 private:
  std::vector<double> prob_;
  std::vector<uint32_t> alias_, ids_;
};

struct Segment {
  std::string metadata;
  size_t begin, end;  // into the token array
};

// Half text (BPE ids over 32000, Zipf 1.0, with phrases repeated from the recent past),
// a third images (32x32 grids of 8192 VQ codes, smooth regions repeat a neighbour), the
// rest audio (1024-code frames, flatter). Returns segments over one flat id array.
std::vector<Segment> realistic_tokens(size_t total, std::vector<uint32_t>& ids) {
  Zipf text(32000, 1.0, 1), image(8192, 0.7, 2), audio(1024, 0.5, 3);
  Rng rng{42};
  ids.resize(total);
  std::vector<Segment> segments;
  size_t at = 0;
  while (at < total) {
    double pick = rng.uniform();
    size_t begin = at;
    if (pick < 0.5) {
      size_t n = std::min(total - at, size_t(200 + rng.next() % 4000));
      for (size_t i = 0; i < n; ++i, ++at) {
        if (i >= 64 && rng.uniform() < 0.1) {  // a phrase seen recently
          size_t from = at - 1 - rng.next() % 64, len = std::min<size_t>(2 + rng.next() % 6, n - i);
          for (size_t k = 0; k < len; ++k) ids[at + k] = ids[from - (len - 1) + k];
          at += len - 1;
          i += len - 1;
        } else {
          ids[at] = text(rng);
        }
      }
      segments.push_back({segment_metadata("text", "bpe-32k", 32000, "user"), begin, at});
    } else if (pick < 0.85) {
      size_t n = std::min(total - at, size_t(1024));
      for (size_t i = 0; i < n; ++i, ++at) {
        double r = rng.uniform();
        if (i % 32 && r < 0.35) ids[at] = ids[at - 1];
        else if (i >= 32 && r < 0.5) ids[at] = ids[at - 32];
        else ids[at] = image(rng);
      }
      segments.push_back({segment_metadata("image", "vq-8k", 8192, "", R"({"grid":[32,32]})"), begin, at});
    } else {
      size_t n = std::min(total - at, size_t(50 * (5 + rng.next() % 30)));
      for (size_t i = 0; i < n; ++i, ++at) ids[at] = audio(rng);
      segments.push_back({segment_metadata("audio", "mdct-vq-1k", 1024, "", R"({"sample_rate":24000})"), begin, at});
    }
  }
  return segments;
}

struct ChildResult {
  double seconds = 0;
  long peak_kib = 0;
  int status = -1;
};

// Runs argv with stdout to `out_path` (or /dev/null) and reports wall time and peak RSS.
// A child forked from this process would count our pages in its peak, so the command is
// started by a fresh exec of this program (--spawn), which reports the peak on its stdout.
ChildResult run(const std::vector<std::string>& argv, const char* out_path = "/dev/null") {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 3);
    std::vector<std::string> spawn = {"/proc/self/exe", "--spawn", out_path};
    spawn.insert(spawn.end(), argv.begin(), argv.end());
    std::vector<char*> args;
    for (const auto& a : spawn) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  ChildResult result{seconds_since(start), 0, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
  char text[32] = {};
  if (read(pipe_fds[0], text, sizeof text - 1) > 0) result.peak_kib = std::atol(text);
  close(pipe_fds[0]);
  return result;
}

// --spawn OUT CMD...: runs CMD with stdout to OUT, writes its peak RSS (KiB) to fd 3.
int spawn(char** argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(3);
    execvp(argv[3], argv + 3);
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  dprintf(3, "%ld", usage.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

uint64_t file_size(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 3 && !std::strcmp(argv[1], "--spawn")) return spawn(argv);
  size_t total = size_t(1) << 28;  // 256M ids: 1 GiB as 32-bit ids
  std::string dir = "/tmp", bindir = "build/bin";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--tokens")) total = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--bindir")) bindir = argv[i + 1];
  }
  std::string raw_path = dir + "/mm-bench-ids.u32", zst_path = raw_path + ".zst", mmt_path = dir + "/mm-bench.mmt";

  std::vector<uint32_t> ids;
  auto segments = realistic_tokens(total, ids);
  {
    int fd = open(raw_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (write(fd, ids.data(), ids.size() * 4) != ssize_t(ids.size() * 4)) return 1;
    close(fd);
  }
  std::printf("stream bench: %zu tokens in %zu segments (text 50%%, image 35%%, audio 15%% of segments), %.2f GiB as u32 ids\n",
              total, segments.size(), total * 4.0 / (1 << 30));

  // Write: the library from memory to a file, against zstd -3 from the (cached) raw file.
  auto start = Clock::now();
  {
    int fd = open(mmt_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FdSink sink(fd, mmt_path);
    Writer writer(sink);
    for (const auto& s : segments) {
      writer.begin_segment(s.metadata);
      writer.tokens(ids.data() + s.begin, s.end - s.begin);
      writer.end_segment();
    }
    writer.finish();
    sink.flush();
    close(fd);
  }
  double mmt_write = seconds_since(start);
  // Children forked from a process holding the ids would count them in their peak RSS.
  std::vector<uint32_t>().swap(ids);
  ChildResult zstd_write = run({"zstd", "-3", "-q", "-f", "-T1", raw_path, "-o", zst_path});
  if (zstd_write.status != 0) {
    std::fprintf(stderr, "zstd failed\n");
    return 1;
  }

  // Read: the library decoding every id, against zstd -d to /dev/null.
  start = Clock::now();
  uint64_t read_tokens = 0, checksum = 0;
  {
    int fd = open(mmt_path.c_str(), O_RDONLY);
    FdSource source(fd, mmt_path);
    Reader reader(source);
    for (Event e; (e = reader.next()) != Event::Eof;)
      if (e == Event::Tokens) {
        read_tokens += reader.tokens().size();
        checksum += reader.tokens().back();
      }
    close(fd);
  }
  double mmt_read = seconds_since(start);
  ChildResult zstd_read = run({"zstd", "-d", "-q", "-c", "-T1", zst_path});
  ChildResult inspect = run({bindir + "/mm-inspect", "--validate", "-q", mmt_path});
  if (read_tokens != total || inspect.status != 0) {
    std::fprintf(stderr, "read back %llu of %zu tokens; mm-inspect exit %d\n", (unsigned long long)read_tokens, total,
                 inspect.status);
    return 1;
  }

  uint64_t mmt_bytes = file_size(mmt_path), zst_bytes = file_size(zst_path);
  double mtok = total / 1e6;
  std::printf("%-28s %14s %12s %14s %14s\n", "", "bytes", "bytes/token", "write Mtok/s", "read Mtok/s");
  std::printf("%-28s %14llu %12.4f %14.1f %14.1f\n", "mmt (zstd level 3, 2-byte)", (unsigned long long)mmt_bytes,
              double(mmt_bytes) / total, mtok / mmt_write, mtok / mmt_read);
  std::printf("%-28s %14llu %12.4f %14.1f %14.1f\n", "zstd -3 -T1 on u32 ids", (unsigned long long)zst_bytes,
              double(zst_bytes) / total, mtok / zstd_write.seconds, mtok / zstd_read.seconds);
  double size_ratio = double(mmt_bytes) / zst_bytes, write_ratio = zstd_write.seconds / mmt_write,
         read_ratio = zstd_read.seconds / mmt_read;
  std::printf("%-28s %14.3fx %12s %13.2fx %13.2fx\n", "mmt / zstd", size_ratio, "", write_ratio, read_ratio);
  std::printf("targets: bytes <= 1.05x zstd: %s; write >= 0.8x: %s; read >= 0.8x: %s\n",
              size_ratio <= 1.05 ? "met" : "MISSED", write_ratio >= 0.8 ? "met" : "MISSED",
              read_ratio >= 0.8 ? "met" : "MISSED");
  std::printf("mm-inspect --validate on %.2f GiB of ids: %.2f s (%.1f Mtok/s), peak RSS %.1f MiB (target < 64 MiB: %s)\n",
              total * 4.0 / (1 << 30), inspect.seconds, mtok / inspect.seconds, inspect.peak_kib / 1024.0,
              inspect.peak_kib < 64 * 1024 ? "met" : "MISSED");

  std::vector<double> startups;
  for (int i = 0; i < 21; ++i) startups.push_back(run({bindir + "/mm-inspect", "--help"}).seconds * 1000);
  std::sort(startups.begin(), startups.end());
  std::printf("mm-inspect --help: median %.1f ms over 21 runs (target < 50 ms: %s)\n", startups[10],
              startups[10] < 50 ? "met" : "MISSED");
  if (!getenv("MM_BENCH_KEEP")) {
    unlink(raw_path.c_str());
    unlink(zst_path.c_str());
    unlink(mmt_path.c_str());
  }
  return checksum == 0xffffffff ? 2 : 0;  // keep the read loop from being optimised away
}
