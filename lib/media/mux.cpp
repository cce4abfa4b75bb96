#include "media/mux.h"

#include <algorithm>
#include <memory>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

#include "error.h"
#include "media/ffmpeg_support.h"
#include "media/audio.h"

namespace mm::media {

namespace {

constexpr int kRate = 48000;

struct Contexts {
  AVFormatContext* in = nullptr;
  AVFormatContext* out = nullptr;
  AVCodecContext* aac = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  ~Contexts() {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&aac);
    avformat_close_input(&in);
    if (out) {
      if (out->pb) avio_closep(&out->pb);
      avformat_free_context(out);
    }
  }
};

}  // namespace

void mux_sound(const std::string& video, const std::string& sound, const std::string& output) {
  quiet_ffmpeg();
  Contexts c;
  int rc = avformat_open_input(&c.in, video.c_str(), nullptr, nullptr);
  if (rc < 0) throw Error(video + ": " + av_error(rc));
  if ((rc = avformat_find_stream_info(c.in, nullptr)) < 0) throw Error(video + ": " + av_error(rc));
  const int vi = av_find_best_stream(c.in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi < 0) throw Error(video + ": no video stream to add sound to");
  AVStream* in_video = c.in->streams[vi];

  if ((rc = avformat_alloc_output_context2(&c.out, nullptr, "mp4", output.c_str())) < 0 || !c.out)
    throw Error(output + ": " + av_error(rc));
  AVStream* out_video = avformat_new_stream(c.out, nullptr);
  avcodec_parameters_copy(out_video->codecpar, in_video->codecpar);
  out_video->codecpar->codec_tag = 0;
  out_video->time_base = in_video->time_base;

  const AVCodec* encoder = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!encoder) throw Error("FFmpeg has no AAC encoder");
  c.aac = avcodec_alloc_context3(encoder);
  c.aac->sample_fmt = AV_SAMPLE_FMT_FLTP;
  c.aac->sample_rate = kRate;
  av_channel_layout_default(&c.aac->ch_layout, 1);
  c.aac->bit_rate = 96000;
  c.aac->time_base = AVRational{1, kRate};
  if (c.out->oformat->flags & AVFMT_GLOBALHEADER) c.aac->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((rc = avcodec_open2(c.aac, encoder, nullptr)) < 0) throw Error("AAC encoder: " + av_error(rc));
  AVStream* out_audio = avformat_new_stream(c.out, nullptr);
  avcodec_parameters_from_context(out_audio->codecpar, c.aac);
  out_audio->time_base = c.aac->time_base;

  if ((rc = avio_open(&c.out->pb, output.c_str(), AVIO_FLAG_WRITE)) < 0) throw Error(output + ": " + av_error(rc));
  if ((rc = avformat_write_header(c.out, nullptr)) < 0) throw Error(output + ": " + av_error(rc));

  AudioOptions options;
  options.sample_rate = kRate;
  options.channels = 1;
  AudioDecoder decoder(sound, options);
  c.packet = av_packet_alloc();
  c.frame = av_frame_alloc();
  const int frame_size = c.aac->frame_size > 0 ? c.aac->frame_size : 1024;
  int64_t audio_pts = 0;
  bool audio_done = false, audio_flushed = false, decoder_ended = false;
  std::vector<float> samples;

  auto drain_audio = [&] {
    for (;;) {
      int r = avcodec_receive_packet(c.aac, c.packet);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) throw Error("AAC encoder: " + av_error(r));
      av_packet_rescale_ts(c.packet, c.aac->time_base, out_audio->time_base);
      c.packet->stream_index = out_audio->index;
      if ((r = av_interleaved_write_frame(c.out, c.packet)) < 0) throw Error(output + ": " + av_error(r));
    }
  };
  // Encodes the next frame of sound (or, at its end, flushes the encoder once).
  auto encode_audio = [&] {
    // The decoder may hand over more than asked: what is left waits for the next frame.
    while (!decoder_ended && samples.size() < size_t(frame_size))
      if (decoder.read(samples, size_t(frame_size)) == 0) decoder_ended = true;
    const size_t got = std::min(samples.size(), size_t(frame_size));
    if (got == 0) {
      audio_done = true;
      avcodec_send_frame(c.aac, nullptr);
      drain_audio();
      audio_flushed = true;
      return;
    }
    av_frame_unref(c.frame);
    c.frame->format = AV_SAMPLE_FMT_FLTP;
    c.frame->sample_rate = kRate;
    av_channel_layout_default(&c.frame->ch_layout, 1);
    c.frame->nb_samples = int(got);
    if (av_frame_get_buffer(c.frame, 0) < 0) throw Error("out of memory");
    std::copy(samples.begin(), samples.begin() + ptrdiff_t(got), reinterpret_cast<float*>(c.frame->data[0]));
    samples.erase(samples.begin(), samples.begin() + ptrdiff_t(got));
    c.frame->pts = audio_pts;
    audio_pts += int64_t(got);
    int r = avcodec_send_frame(c.aac, c.frame);
    if (r < 0) throw Error("AAC encoder: " + av_error(r));
    drain_audio();
  };

  // Video packets in file order; before each, the sound up to its time.
  AVPacket* video_packet = av_packet_alloc();
  std::unique_ptr<AVPacket, void (*)(AVPacket*)> guard(video_packet, [](AVPacket* p) { av_packet_free(&p); });
  while ((rc = av_read_frame(c.in, video_packet)) >= 0) {
    if (video_packet->stream_index != vi) {
      av_packet_unref(video_packet);
      continue;
    }
    const int64_t when = video_packet->dts != AV_NOPTS_VALUE ? video_packet->dts : video_packet->pts;
    if (when != AV_NOPTS_VALUE)
      while (!audio_done && av_compare_ts(audio_pts, c.aac->time_base, when, in_video->time_base) < 0) encode_audio();
    av_packet_rescale_ts(video_packet, in_video->time_base, out_video->time_base);
    video_packet->stream_index = out_video->index;
    video_packet->pos = -1;
    if ((rc = av_interleaved_write_frame(c.out, video_packet)) < 0) throw Error(output + ": " + av_error(rc));
  }
  if (rc != AVERROR_EOF) throw Error(video + ": " + av_error(rc));
  while (!audio_flushed) encode_audio();
  if ((rc = av_write_trailer(c.out)) < 0) throw Error(output + ": " + av_error(rc));
}

}  // namespace mm::media
