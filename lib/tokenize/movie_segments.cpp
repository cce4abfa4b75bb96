#include "tokenize/movie_segments.h"

#include <fmt/format.h>

#include "error.h"
#include "media/audio.h"
#include "tokenize/video_segments.h"

namespace mm::tokenize {

bool has_sound(const std::string& path) {
  try {
    media::AudioOptions options;
    options.channels = 1;
    media::AudioDecoder probe(path, options);
    return true;
  } catch (const Error&) {
    return false;  // no audio stream (or none FFmpeg decodes): the video alone
  }
}

bool has_pictures(const std::string& path) {
  try {
    media::VideoOptions options;
    options.threads = 1;
    media::VideoDecoder probe(path, options);
    return true;
  } catch (const Error&) {
    return false;
  }
}

VideoReport write_movie_segments(const std::string& path, const ImageTokenizer& video_tokenizer,
                                 const AudioTokenizer& audio_tokenizer, stream::Writer& writer,
                                 const VisualOptions& visual, double chunk_seconds) {
  if (!(chunk_seconds > 0)) throw UsageError("the chunk length must be positive");
  // The pictures are read and coded exactly as a silent video's are.
  media::VideoDecoder decoder(path, video_decoder_options(visual));
  VideoSegmenter video(decoder, video_tokenizer, writer, video_segment_settings(visual));

  AudioSegmentSettings audio_settings;
  audio_settings.start = visual.start;
  audio_settings.duration = visual.duration;
  audio_settings.role = visual.role;
  audio_settings.source = visual.source;
  AudioSegmenter sound(path, audio_tokenizer, writer, audio_settings);

  bool pictures = true, heard = true;
  for (double t = visual.start + chunk_seconds; pictures || heard; t += chunk_seconds) {
    if (pictures) pictures = video.write_until(t);
    if (heard) heard = sound.write_until(t);
  }

  VideoReport report;
  report.frames = video.frames();
  report.segments = video.segments() + sound.segments();
  report.damaged_packets = decoder.damaged_packets() + sound.damaged_packets();
  report.truncated = decoder.truncated() || sound.truncated();
  report.last_timestamp = video.last_timestamp();
  report.source_duration = decoder.source_duration();
  if (report.frames == 0) {
    if (report.lost()) throw Error(path + ": no frame could be decoded (" + report.describe() + ")");
    throw Error(path + ": no frames in the chosen stretch (--start " + fmt::format("{:g}", visual.start) +
                ", the video lasts " + fmt::format("{:.2f}", decoder.source_duration()) + " s)");
  }
  return report;
}

}  // namespace mm::tokenize
