#include "tokenize/visual_input.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "error.h"
#include "media/video.h"
#include "stream/segment.h"
#include "tokenize/video_segments.h"
#include "tokenize/visual_metadata.h"

namespace mm::tokenize {

void write_image_segment(const media::Image& image, const ImageTokenizer& tokenizer, stream::Writer& writer,
                         const VisualOptions& options) {
  media::Placement p = media::place(image.width, image.height, options.size, tokenizer.patch());
  media::Image frame = media::compose(media::resize(image, p.scaled_width, p.scaled_height), p);
  VisualGeometry g;
  g.patch = tokenizer.patch();
  g.levels = options.levels > 0 ? options.levels : tokenizer.levels();
  if (g.levels > tokenizer.levels())
    throw UsageError("--levels " + std::to_string(g.levels) + ": the codebook has " + std::to_string(tokenizer.levels()));
  g.patches_x = p.frame_width / g.patch;
  g.patches_y = p.frame_height / g.patch;
  g.content_x = p.x;
  g.content_y = p.y;
  g.content_width = p.content_width;
  g.content_height = p.content_height;
  auto extra = nlohmann::json::parse(visual_metadata_fields(g, false));
  extra["source_size"] = {{"width", image.width}, {"height", image.height}};
  if (!options.source.empty()) extra["source"] = options.source;
  std::vector<uint32_t> codes;
  tokenizer.encode(frame, g.levels, codes, options.threads);
  writer.begin_segment(stream::segment_metadata("image", tokenizer.id(), tokenizer.vocab_size(), options.role, extra.dump()));
  writer.tokens(codes);
  writer.end_segment();
  writer.flush();
}

std::string VideoReport::describe() const {
  std::string out;
  if (damaged_packets > 0) out = fmt::format("{} damaged packet{} skipped", damaged_packets, damaged_packets == 1 ? "" : "s");
  if (truncated) {
    if (!out.empty()) out += "; ";
    out += source_duration > 0 ? fmt::format("the input ends early: frames up to {:.2f} s of the {:.2f} s it declares",
                                             last_timestamp, source_duration)
                               : "the input ends early";
  }
  return out + fmt::format(" ({} frames tokenized)", frames);
}

media::VideoOptions video_decoder_options(const VisualOptions& options) {
  media::VideoOptions vo;
  vo.fps = options.fps;
  vo.start = options.start;
  vo.duration = options.duration;
  vo.max_frames = options.max_frames;
  vo.threads = options.threads;
  return vo;
}

VideoSegmentSettings video_segment_settings(const VisualOptions& options) {
  VideoSegmentSettings settings;
  settings.size = options.size;
  settings.levels = options.levels;
  settings.role = options.role;
  settings.source = options.source;
  settings.threads = options.threads;
  settings.progress = options.progress;
  settings.reuse_below = options.reuse_below;
  return settings;
}

VideoReport write_video_segments(const std::string& path, const ImageTokenizer& tokenizer, stream::Writer& writer,
                                 const VisualOptions& options) {
  media::VideoDecoder decoder(path, video_decoder_options(options));
  VideoSegmenter segmenter(decoder, tokenizer, writer, video_segment_settings(options));
  segmenter.write_all();
  VideoReport report;
  report.frames = segmenter.frames();
  report.segments = segmenter.segments();
  report.patches = segmenter.patches();
  report.reused_patches = segmenter.reused_patches();
  report.damaged_packets = decoder.damaged_packets();
  report.truncated = decoder.truncated();
  report.last_timestamp = segmenter.last_timestamp();
  report.source_duration = decoder.source_duration();
  if (report.frames == 0) {
    if (report.lost()) throw Error(path + ": no frame could be decoded (" + report.describe() + ")");
    throw Error(path + ": no frames in the chosen stretch (--start " + fmt::format("{:g}", options.start) +
                ", the video lasts " + fmt::format("{:.2f}", decoder.source_duration()) + " s)");
  }
  return report;
}

}  // namespace mm::tokenize
