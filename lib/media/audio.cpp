#include "media/audio.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include <sndfile.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include "error.h"
#include "media/ffmpeg_support.h"

namespace mm::media {

namespace {

constexpr int kMaxRate = 768000;
constexpr int kMaxChannels = 64;
constexpr size_t kBlock = 4096;

// Where decoded sound comes from: interleaved floats at the source's rate and channels.
class Backend {
 public:
  virtual ~Backend() = default;
  // Appends up to `frames` frames; returns how many, 0 at the end.
  virtual size_t read(std::vector<float>& out, size_t frames) = 0;
  int rate = 0, channels = 0;
  double duration = 0;
  uint64_t damaged = 0;
};

class SndfileBackend : public Backend {
 public:
  explicit SndfileBackend(SNDFILE* file, const SF_INFO& info) : file_(file) {
    rate = info.samplerate;
    channels = info.channels;
    duration = info.samplerate > 0 ? double(info.frames) / info.samplerate : 0;
  }
  ~SndfileBackend() override { sf_close(file_); }
  size_t read(std::vector<float>& out, size_t frames) override {
    size_t start = out.size();
    out.resize(start + frames * channels);
    sf_count_t n = sf_readf_float(file_, out.data() + start, sf_count_t(frames));
    out.resize(start + size_t(std::max<sf_count_t>(n, 0)) * channels);
    return size_t(std::max<sf_count_t>(n, 0));
  }

 private:
  SNDFILE* file_;
};

class FfmpegBackend : public Backend {
 public:
  explicit FfmpegBackend(const std::string& path) : path_(path) {
    quiet_ffmpeg();
    int rc = avformat_open_input(&format_, path.c_str(), nullptr, nullptr);
    if (rc < 0) throw Error(path + ": " + av_error(rc));
    if ((rc = avformat_find_stream_info(format_, nullptr)) < 0) throw Error(path + ": " + av_error(rc));
    const AVCodec* decoder = nullptr;
    stream_ = av_find_best_stream(format_, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
    if (stream_ < 0 || !decoder) throw Error(path + ": no audio stream that FFmpeg can decode");
    AVStream* stream = format_->streams[stream_];
    codec_ = avcodec_alloc_context3(decoder);
    avcodec_parameters_to_context(codec_, stream->codecpar);
    if ((rc = avcodec_open2(codec_, decoder, nullptr)) < 0) throw Error(path + ": " + av_error(rc));
    rate = codec_->sample_rate;
    channels = codec_->ch_layout.nb_channels;
    if (stream->duration != AV_NOPTS_VALUE) duration = stream->duration * av_q2d(stream->time_base);
    else if (format_->duration > 0) duration = format_->duration / double(AV_TIME_BASE);
    packet_ = av_packet_alloc();
    frame_ = av_frame_alloc();
  }
  ~FfmpegBackend() override {
    swr_free(&convert_);
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    avformat_close_input(&format_);
  }

  size_t read(std::vector<float>& out, size_t frames) override {
    // Serve what an earlier frame left over first.
    while (pending_.size() < frames * channels && !done_) decode_more();
    size_t take = std::min(frames, pending_.size() / channels);
    out.insert(out.end(), pending_.begin(), pending_.begin() + take * channels);
    pending_.erase(pending_.begin(), pending_.begin() + take * channels);
    return take;
  }

 private:
  void decode_more() {
    int rc = avcodec_receive_frame(codec_, frame_);
    if (rc == 0) {
      append(frame_);
      return;
    }
    if (rc == AVERROR_EOF) {
      done_ = true;
      return;
    }
    if (rc != AVERROR(EAGAIN)) {
      ++damaged;
      return;
    }
    if (input_done_) {
      done_ = true;
      return;
    }
    rc = av_read_frame(format_, packet_);
    if (rc < 0) {
      input_done_ = true;
      avcodec_send_packet(codec_, nullptr);
      return;
    }
    if (packet_->stream_index == stream_ && avcodec_send_packet(codec_, packet_) < 0) ++damaged;
    av_packet_unref(packet_);
  }

  // Any sample format and layout -> interleaved float, same rate and channel count.
  void append(const AVFrame* frame) {
    if (frame->ch_layout.nb_channels != channels || frame->sample_rate != rate)
      throw Error(path_ + ": the audio changes rate or channels mid-stream");
    if (!convert_) {
      AVChannelLayout layout;
      av_channel_layout_default(&layout, channels);
      int rc = swr_alloc_set_opts2(&convert_, &layout, AV_SAMPLE_FMT_FLT, rate, const_cast<AVChannelLayout*>(&frame->ch_layout),
                                   AVSampleFormat(frame->format), rate, 0, nullptr);
      if (rc < 0 || swr_init(convert_) < 0) throw Error(path_ + ": cannot convert its sample format");
    }
    size_t start = pending_.size();
    pending_.resize(start + size_t(frame->nb_samples) * channels);
    uint8_t* dst = reinterpret_cast<uint8_t*>(pending_.data() + start);
    int n = swr_convert(convert_, &dst, frame->nb_samples, const_cast<const uint8_t**>(frame->extended_data),
                        frame->nb_samples);
    pending_.resize(start + size_t(std::max(n, 0)) * channels);
  }

  std::string path_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
  SwrContext* convert_ = nullptr;
  int stream_ = -1;
  bool input_done_ = false, done_ = false;
  std::vector<float> pending_;
};

// The frames a RIFF/WAVE file's "data" chunk declares, or 0 when unknown (no such chunk,
// or the 0 and 0xFFFFFFFF placeholders that streaming writers leave). libsndfile counts the
// frames that are present, so a cut WAV would otherwise read as a shorter, whole one.
uint64_t wav_declared_frames(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  auto u32 = [](const unsigned char* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; };
  unsigned char head[12];
  if (!in.read(reinterpret_cast<char*>(head), 12) || std::memcmp(head, "RIFF", 4) != 0 || std::memcmp(head + 8, "WAVE", 4) != 0)
    return 0;
  uint32_t block_align = 0;
  // A bounded walk: a hostile file cannot keep us here.
  for (int chunks = 0; chunks < 64; ++chunks) {
    unsigned char chunk[8];
    if (!in.read(reinterpret_cast<char*>(chunk), 8)) return 0;
    const uint32_t size = u32(chunk + 4);
    if (std::memcmp(chunk, "fmt ", 4) == 0 && size >= 16) {
      unsigned char fmt[16];
      if (!in.read(reinterpret_cast<char*>(fmt), 16)) return 0;
      block_align = uint32_t(fmt[12]) | uint32_t(fmt[13]) << 8;
      in.seekg(std::streamoff(size - 16 + (size & 1)), std::ios::cur);
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (block_align == 0 || size == 0 || size == 0xFFFFFFFFu) return 0;
      return size / block_align;
    } else {
      in.seekg(std::streamoff(size) + (size & 1), std::ios::cur);
    }
  }
  return 0;
}

std::unique_ptr<Backend> open_backend(const std::string& path, std::string& name) {
  SF_INFO info{};
  if (SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info)) {
    name = "libsndfile";
    auto backend = std::make_unique<SndfileBackend>(file, info);
    const int type = info.format & SF_FORMAT_TYPEMASK;
    if ((type == SF_FORMAT_WAV || type == SF_FORMAT_WAVEX) && info.samplerate > 0)
      if (uint64_t declared = wav_declared_frames(path); declared > uint64_t(info.frames))
        backend->duration = double(declared) / info.samplerate;
    return backend;
  }
  name = "ffmpeg";
  return std::make_unique<FfmpegBackend>(path);
}

}  // namespace

struct AudioDecoder::State {
  std::unique_ptr<Backend> backend;
  std::string backend_name;
  AudioOptions options;
  int rate = 0, channels = 0;
  SwrContext* resample = nullptr;
  std::vector<float> block, mixed;
  uint64_t skip_frames = 0;    // source frames before `start`
  uint64_t remaining = UINT64_MAX;  // output frames left before the end of `duration`
  bool source_done = false, flushed = false;

  ~State() { swr_free(&resample); }
};

AudioDecoder::AudioDecoder(const std::string& path, const AudioOptions& options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  if (options.sample_rate < 0 || options.sample_rate > kMaxRate || options.channels < 0 ||
      options.channels > kMaxChannels || options.start < 0 || options.duration < 0)
    throw UsageError("audio: rate must be 1 to 768000 Hz, channels 1 to 64, start and duration positive");
  s.options = options;
  s.backend = open_backend(path, s.backend_name);
  Backend& b = *s.backend;
  if (b.rate <= 0 || b.rate > kMaxRate || b.channels <= 0 || b.channels > kMaxChannels)
    throw Error(path + ": audio of " + std::to_string(b.rate) + " Hz and " + std::to_string(b.channels) +
                " channels is outside what mm reads (1 to 768000 Hz, 1 to 64 channels)");
  s.rate = options.sample_rate ? options.sample_rate : b.rate;
  s.channels = options.channels == 1 ? 1 : b.channels;
  if (options.channels > 1 && options.channels != b.channels)
    throw UsageError("audio: only mono (1) or the source's channel count (" + std::to_string(b.channels) +
                     ") can be asked for");
  s.skip_frames = uint64_t(std::llround(options.start * b.rate));
  if (options.duration > 0) s.remaining = uint64_t(std::llround(options.duration * s.rate));
  if (s.rate != b.rate) {
    AVChannelLayout layout;
    av_channel_layout_default(&layout, s.channels);
    int rc = swr_alloc_set_opts2(&s.resample, &layout, AV_SAMPLE_FMT_FLT, s.rate, &layout, AV_SAMPLE_FMT_FLT, b.rate,
                                 0, nullptr);
    if (rc < 0 || swr_init(s.resample) < 0) throw Error(path + ": cannot resample " + std::to_string(b.rate) +
                                                        " Hz to " + std::to_string(s.rate) + " Hz");
  }
}

AudioDecoder::~AudioDecoder() = default;

size_t AudioDecoder::read(std::vector<float>& samples, size_t max_frames) {
  State& s = *state_;
  Backend& b = *s.backend;
  size_t delivered = 0;
  while (delivered < max_frames && s.remaining > 0 && !s.flushed) {
    s.block.clear();
    size_t got = s.source_done ? 0 : b.read(s.block, kBlock);
    if (got == 0) s.source_done = true;
    // Drop what lies before `start`.
    size_t skip = size_t(std::min<uint64_t>(s.skip_frames, got));
    s.skip_frames -= skip;
    const float* in = s.block.data() + skip * b.channels;
    size_t frames = got - skip;
    if (s.channels == 1 && b.channels > 1) {
      s.mixed.resize(frames);
      for (size_t i = 0; i < frames; ++i) {
        float sum = 0;
        for (int c = 0; c < b.channels; ++c) sum += in[i * b.channels + c];
        s.mixed[i] = sum / float(b.channels);
      }
      in = s.mixed.data();
    }
    std::vector<float> converted;
    const float* out = in;
    size_t produced = frames;
    if (s.resample) {
      size_t room = size_t(swr_get_out_samples(s.resample, int(frames))) + 16;
      converted.resize(room * s.channels);
      uint8_t* dst = reinterpret_cast<uint8_t*>(converted.data());
      const uint8_t* src = reinterpret_cast<const uint8_t*>(in);
      int n = swr_convert(s.resample, &dst, int(room), s.source_done ? nullptr : &src, int(frames));
      if (n < 0) throw Error("resampling failed");
      produced = size_t(n);
      out = converted.data();
      if (s.source_done && n == 0) s.flushed = true;
    } else if (s.source_done) {
      s.flushed = true;
    }
    produced = size_t(std::min<uint64_t>(produced, s.remaining));
    samples.insert(samples.end(), out, out + produced * s.channels);
    s.remaining -= std::min<uint64_t>(s.remaining, produced);
    delivered += produced;
  }
  return delivered;
}

int AudioDecoder::sample_rate() const { return state_->rate; }
int AudioDecoder::channels() const { return state_->channels; }
int AudioDecoder::source_rate() const { return state_->backend->rate; }
int AudioDecoder::source_channels() const { return state_->backend->channels; }
double AudioDecoder::source_duration() const { return state_->backend->duration; }

std::vector<float> read_mono(const std::string& path, int sample_rate) {
  AudioOptions options;
  options.sample_rate = sample_rate;
  options.channels = 1;
  AudioDecoder decoder(path, options);
  std::vector<float> samples;
  while (decoder.read(samples, 1 << 16) > 0) {
  }
  return samples;
}
const std::string& AudioDecoder::backend() const { return state_->backend_name; }
uint64_t AudioDecoder::damaged_packets() const { return state_->backend->damaged; }

struct AudioWriter::State {
  SNDFILE* file = nullptr;
  std::string path;
  int channels = 0;
  ~State() {
    if (file) sf_close(file);
  }
};

AudioWriter::AudioWriter(const std::string& path, const std::string& format, int sample_rate, int channels)
    : state_(std::make_unique<State>()) {
  if (sample_rate <= 0 || sample_rate > kMaxRate || channels <= 0 || channels > kMaxChannels)
    throw Error(path + ": cannot write audio of " + std::to_string(sample_rate) + " Hz and " +
                std::to_string(channels) + " channels");
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = channels;
  if (format == "wav") info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  else if (format == "flac") info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  else throw UsageError("audio format must be wav or flac, not " + format);
  state_->path = path;
  state_->channels = channels;
  state_->file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!state_->file) throw Error(path + ": " + sf_strerror(nullptr));
  sf_command(state_->file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
}

AudioWriter::~AudioWriter() = default;

void AudioWriter::write(const float* samples, size_t frames) {
  if (sf_writef_float(state_->file, samples, sf_count_t(frames)) != sf_count_t(frames))
    throw Error(state_->path + ": " + sf_strerror(state_->file));
}

void AudioWriter::finish() {
  if (state_->file && sf_close(state_->file) != 0) throw Error(state_->path + ": cannot finish writing");
  state_->file = nullptr;
}

}  // namespace mm::media
