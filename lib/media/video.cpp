#include "media/video.h"

#include <cmath>
#include <limits>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "error.h"
#include "media/ffmpeg_support.h"

namespace mm::media {

namespace {

constexpr int kMaxSide = 16384;


}  // namespace

struct VideoDecoder::State {
  VideoOptions options;
  std::string path;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  SwsContext* sws = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* held = nullptr;      // the frame valid from held_time on
  AVFrame* incoming = nullptr;  // the frame after it, once decoded
  double held_time = 0, incoming_time = 0;
  bool held_valid = false, incoming_valid = false;
  bool input_done = false, decoder_done = false;
  int stream = -1;
  double time_base = 0, stream_start = 0;
  double source_fps = 0, source_duration = 0;
  double target = 0, end_time = std::numeric_limits<double>::infinity();
  int width = 0, height = 0;
  int64_t delivered = 0;
  uint64_t damaged = 0;
  bool read_error = false;
  double last_time = 0;
  int64_t decoded = 0;            // source frames
  int64_t declared_frames = 0;    // as the container's header says, 0 if unknown
  std::string codec_name;

  ~State() {
    sws_freeContext(sws);
    av_frame_free(&held);
    av_frame_free(&incoming);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }

  // Decodes the next frame into `frame`; false at the end of the stream.
  bool decode(AVFrame* frame, double& time) {
    for (;;) {
      int rc = avcodec_receive_frame(codec, frame);
      if (rc == 0) {
        int64_t pts = frame->best_effort_timestamp;
        time = pts == AV_NOPTS_VALUE ? last_time + (source_fps > 0 ? 1 / source_fps : 0.04)
                                     : pts * time_base - stream_start;
        last_time = time;
        ++decoded;
        return true;
      }
      if (rc == AVERROR_EOF) return false;
      if (rc != AVERROR(EAGAIN)) {
        ++damaged;
        continue;
      }
      if (input_done) return false;
      rc = av_read_frame(format, packet);
      if (rc < 0) {
        if (rc != AVERROR_EOF) read_error = true;
        input_done = true;
        avcodec_send_packet(codec, nullptr);  // drain
        continue;
      }
      if (packet->stream_index == stream) {
        if (avcodec_send_packet(codec, packet) < 0) ++damaged;
      }
      av_packet_unref(packet);
    }
  }

  void convert(const AVFrame* frame, Image& image) {
    sws = sws_getCachedContext(sws, frame->width, frame->height, AVPixelFormat(frame->format), width, height,
                               AV_PIX_FMT_RGB24, width < frame->width ? SWS_AREA : SWS_BICUBIC, nullptr, nullptr,
                               nullptr);
    if (!sws) throw Error(path + ": cannot convert frames of this pixel format");
    image.width = width;
    image.height = height;
    image.rgb.resize(size_t(width) * height * 3);
    uint8_t* planes[4] = {image.rgb.data(), nullptr, nullptr, nullptr};
    int strides[4] = {width * 3, 0, 0, 0};
    sws_scale(sws, frame->data, frame->linesize, 0, frame->height, planes, strides);
  }
};

VideoDecoder::VideoDecoder(const std::string& path, const VideoOptions& options) : state_(std::make_unique<State>()) {
  quiet_ffmpeg();
  State& s = *state_;
  s.options = options;
  s.path = path;
  if (options.fps < 0 || options.start < 0 || options.duration < 0 || options.width < 0 || options.height < 0 ||
      options.width > kMaxSide || options.height > kMaxSide)
    throw UsageError("video: fps, start, duration and size must be positive, sides at most 16384");
  int rc = avformat_open_input(&s.format, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw Error(path + ": " + av_error(rc));
  if ((rc = avformat_find_stream_info(s.format, nullptr)) < 0) throw Error(path + ": " + av_error(rc));
  const AVCodec* decoder = nullptr;
  s.stream = av_find_best_stream(s.format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (s.stream < 0 || !decoder) throw Error(path + ": no video stream that FFmpeg can decode");
  AVStream* stream = s.format->streams[s.stream];
  s.codec = avcodec_alloc_context3(decoder);
  avcodec_parameters_to_context(s.codec, stream->codecpar);
  s.codec->thread_count = options.threads;
  s.codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if ((rc = avcodec_open2(s.codec, decoder, nullptr)) < 0) throw Error(path + ": " + av_error(rc));
  s.codec_name = decoder->name;
  if (s.codec->width <= 0 || s.codec->height <= 0 || s.codec->width > kMaxSide || s.codec->height > kMaxSide)
    throw Error(path + ": video of " + std::to_string(s.codec->width) + "x" + std::to_string(s.codec->height) +
                " pixels (sides must be 1 to 16384)");
  s.time_base = av_q2d(stream->time_base);
  s.stream_start = stream->start_time == AV_NOPTS_VALUE ? 0 : stream->start_time * s.time_base;
  AVRational rate = av_guess_frame_rate(s.format, stream, nullptr);
  s.source_fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  s.declared_frames = stream->nb_frames;
  if (stream->duration != AV_NOPTS_VALUE) s.source_duration = stream->duration * s.time_base;
  else if (s.format->duration > 0) s.source_duration = s.format->duration / double(AV_TIME_BASE);

  s.width = options.width;
  s.height = options.height;
  if (!s.width && !s.height) {
    s.width = s.codec->width;
    s.height = s.codec->height;
  } else if (!s.height) {
    s.height = std::max(1, int(std::lround(double(s.width) * s.codec->height / s.codec->width)));
  } else if (!s.width) {
    s.width = std::max(1, int(std::lround(double(s.height) * s.codec->width / s.codec->height)));
  }
  s.packet = av_packet_alloc();
  s.held = av_frame_alloc();
  s.incoming = av_frame_alloc();
  s.target = options.start;
  if (options.duration > 0) s.end_time = options.start + options.duration;
  if (options.start > 0) {
    int64_t ts = int64_t((options.start + s.stream_start) / s.time_base);
    if (av_seek_frame(s.format, s.stream, ts, AVSEEK_FLAG_BACKWARD) >= 0) avcodec_flush_buffers(s.codec);
  }
}

VideoDecoder::~VideoDecoder() = default;

bool VideoDecoder::next(VideoFrame& out) {
  State& s = *state_;
  if (s.options.max_frames > 0 && s.delivered >= s.options.max_frames) return false;
  if (s.options.fps <= 0) {
    // Every source frame from `start` to the end time.
    double time = 0;
    while (s.decode(s.held, time)) {
      if (time + 1e-9 < s.options.start) continue;
      if (time >= s.end_time) return false;
      s.convert(s.held, out.image);
      out.timestamp = time;
      out.index = s.delivered++;
      return true;
    }
    s.decoder_done = true;
    return false;
  }
  // A fixed rate: sample time t shows the last frame that began at or before t (the first
  // frame for times before it), as FFmpeg's fps filter does.
  double step = 1 / s.options.fps;
  for (;;) {
    if (s.target >= s.end_time) return false;
    if (s.held_valid && (s.incoming_valid || s.decoder_done)) {
      double frame_length = s.source_fps > 0 ? 1 / s.source_fps : step;
      double bound = s.incoming_valid ? s.incoming_time : s.held_time + frame_length;
      if (s.target < bound - 1e-9) {
        s.convert(s.held, out.image);
        out.timestamp = s.target;
        out.index = s.delivered++;
        s.target = s.options.start + double(s.delivered) * step;
        return true;
      }
      if (!s.incoming_valid) return false;
      std::swap(s.held, s.incoming);
      s.held_time = s.incoming_time;
      s.incoming_valid = false;
      continue;
    }
    double time = 0;
    if (!s.decode(s.incoming, time)) {
      s.decoder_done = true;
      if (!s.held_valid) return false;
      continue;
    }
    if (!s.held_valid || time <= s.options.start + 1e-9) {
      std::swap(s.held, s.incoming);
      s.held_time = time;
      s.held_valid = true;
      continue;
    }
    s.incoming_time = time;
    s.incoming_valid = true;
  }
}

int VideoDecoder::source_width() const { return state_->codec->width; }
int VideoDecoder::source_height() const { return state_->codec->height; }

void VideoDecoder::set_size(int width, int height) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide)
    throw UsageError("video: frame sides must be 1 to 16384");
  if (state_->delivered > 0) throw Error("video: the frame size is set before the first frame");
  state_->width = width;
  state_->height = height;
}

int VideoDecoder::width() const { return state_->width; }
int VideoDecoder::height() const { return state_->height; }
double VideoDecoder::fps() const { return state_->options.fps > 0 ? state_->options.fps : state_->source_fps; }
double VideoDecoder::source_fps() const { return state_->source_fps; }
double VideoDecoder::source_duration() const { return state_->source_duration; }
const std::string& VideoDecoder::codec() const { return state_->codec_name; }
uint64_t VideoDecoder::damaged_packets() const { return state_->damaged; }

bool VideoDecoder::truncated() const {
  const State& s = *state_;
  if (s.read_error) return true;
  // Decoding stopped well before the length the container declares.
  bool limited = s.options.duration > 0 || s.options.max_frames > 0;
  double frame = s.source_fps > 0 ? 1 / s.source_fps : 0.04;
  if (limited || !s.decoder_done || s.options.start > 0) return false;
  if (s.declared_frames > 0 && s.decoded < s.declared_frames) return true;
  return s.source_duration > 0 && s.last_time + 3 * frame < s.source_duration;
}

struct VideoEncoder::State {
  std::string path;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  SwsContext* sws = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  int width = 0, height = 0;  // of the images given
  int64_t next_pts = 0;
  bool finished = false;

  ~State() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    if (format) {
      if (!(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
      avformat_free_context(format);
    }
  }

  void drain() {
    for (;;) {
      int rc = avcodec_receive_packet(codec, packet);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) throw Error(path + ": encoding: " + av_error(rc));
      // One frame long: without a duration the MP4 muxer's edit list drops the last frame.
      if (packet->duration == 0) packet->duration = 1;
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      if ((rc = av_interleaved_write_frame(format, packet)) < 0) throw Error(path + ": " + av_error(rc));
    }
  }
};

VideoEncoder::VideoEncoder(const std::string& path, const std::string& format_name, int width, int height, double fps,
                           int threads)
    : state_(std::make_unique<State>()) {
  quiet_ffmpeg();
  State& s = *state_;
  s.path = path;
  s.width = width;
  s.height = height;
  if (width <= 0 || height <= 0 || width > kMaxSide || height > kMaxSide || !(fps > 0))
    throw Error(path + ": cannot encode a " + std::to_string(width) + "x" + std::to_string(height) + " video at " +
                std::to_string(fps) + " fps");
  bool gif = format_name == "gif";
  if (!gif && format_name != "mp4") throw UsageError("video format must be mp4 or gif, not " + format_name);
  int rc = avformat_alloc_output_context2(&s.format, nullptr, format_name.c_str(), path.c_str());
  if (rc < 0 || !s.format) throw Error(path + ": " + av_error(rc));
  const AVCodec* encoder = avcodec_find_encoder_by_name(gif ? "gif" : "libx264");
  if (!encoder) throw Error(std::string("FFmpeg has no ") + (gif ? "gif" : "libx264") + " encoder");
  s.stream = avformat_new_stream(s.format, nullptr);
  s.codec = avcodec_alloc_context3(encoder);
  // 4:2:0 needs even sides: odd ones are padded by repeating the last row or column.
  s.codec->width = gif ? width : (width + 1) & ~1;
  s.codec->height = gif ? height : (height + 1) & ~1;
  s.codec->pix_fmt = gif ? AV_PIX_FMT_RGB8 : AV_PIX_FMT_YUV420P;
  AVRational rate = av_d2q(fps, 100000);
  s.codec->time_base = av_inv_q(rate);
  s.codec->framerate = rate;
  s.stream->time_base = s.codec->time_base;
  if (!gif) {
    av_opt_set(s.codec->priv_data, "preset", "fast", 0);
    av_opt_set(s.codec->priv_data, "crf", "18", 0);
  }
  s.codec->thread_count = threads;
  if (s.format->oformat->flags & AVFMT_GLOBALHEADER) s.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((rc = avcodec_open2(s.codec, encoder, nullptr)) < 0) throw Error(path + ": " + av_error(rc));
  avcodec_parameters_from_context(s.stream->codecpar, s.codec);
  if ((rc = avio_open(&s.format->pb, path.c_str(), AVIO_FLAG_WRITE)) < 0) throw Error(path + ": " + av_error(rc));
  if ((rc = avformat_write_header(s.format, nullptr)) < 0) throw Error(path + ": " + av_error(rc));
  s.frame = av_frame_alloc();
  s.frame->format = s.codec->pix_fmt;
  s.frame->width = s.codec->width;
  s.frame->height = s.codec->height;
  if (av_frame_get_buffer(s.frame, 0) < 0) throw Error("out of memory");
  s.packet = av_packet_alloc();
}

VideoEncoder::~VideoEncoder() = default;

void VideoEncoder::add(const Image& image) {
  State& s = *state_;
  if (image.width != s.width || image.height != s.height || image.rgb.size() != size_t(s.width) * s.height * 3)
    throw Error(s.path + ": frame of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " in a video of " + std::to_string(s.width) + "x" + std::to_string(s.height));
  // Pad to the coded size by repeating edges, then convert. swscale's SIMD reads up to 16
  // bytes past the end of its source: the copy ends in zeroed slack, or heap garbage would
  // reach the picture (found by valgrind: the same frames gave different MP4 bytes).
  constexpr size_t kSlack = 64;
  int cw = s.codec->width, ch = s.codec->height;
  std::vector<uint8_t> padded;
  if (cw != s.width || ch != s.height) {
    padded.resize(size_t(cw) * ch * 3 + kSlack);
    for (int y = 0; y < ch; ++y)
      for (int x = 0; x < cw; ++x)
        for (int c = 0; c < 3; ++c)
          padded[(size_t(y) * cw + x) * 3 + c] =
              image.rgb[(size_t(std::min(y, s.height - 1)) * s.width + std::min(x, s.width - 1)) * 3 + c];
  } else {
    padded.reserve(image.rgb.size() + kSlack);
    padded.assign(image.rgb.begin(), image.rgb.end());
    padded.resize(image.rgb.size() + kSlack, 0);
  }
  const uint8_t* source = padded.data();
  s.sws = sws_getCachedContext(s.sws, cw, ch, AV_PIX_FMT_RGB24, cw, ch, s.codec->pix_fmt, SWS_BICUBIC, nullptr,
                               nullptr, nullptr);
  if (av_frame_make_writable(s.frame) < 0) throw Error("out of memory");
  const uint8_t* planes[4] = {source, nullptr, nullptr, nullptr};
  int strides[4] = {cw * 3, 0, 0, 0};
  sws_scale(s.sws, planes, strides, 0, ch, s.frame->data, s.frame->linesize);
  s.frame->pts = s.next_pts++;
  int rc = avcodec_send_frame(s.codec, s.frame);
  if (rc < 0) throw Error(s.path + ": encoding: " + av_error(rc));
  s.drain();
}

void VideoEncoder::finish() {
  State& s = *state_;
  if (s.finished) return;
  avcodec_send_frame(s.codec, nullptr);
  s.drain();
  int rc = av_write_trailer(s.format);
  if (rc < 0) throw Error(s.path + ": " + av_error(rc));
  s.finished = true;
}

}  // namespace mm::media
