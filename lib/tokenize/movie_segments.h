// A video with sound -> token stream: its pictures and its sound as segments interleaved in
// time, so that a backbone reading the stream sees what is shown beside what is heard.
//
// Order: chunks of `chunk_seconds` (1 s by default) from the start; in each, first the video
// segment of the frames whose timestamps fall in [t, t + T), then the audio segment of the
// sound of [t, t + T) (tokenize/audio_segments.h). A chunk without frames, or without sound,
// has only the other segment; once one of them has ended, the other goes on alone. Every
// segment's metadata carries its start ("timestamps" for video frames, "start" for audio),
// and "part" counts each modality's segments, so mm-render joins them back into one MP4.
#pragma once

#include <string>

#include "stream/writer.h"
#include "tokenize/audio_segments.h"
#include "tokenize/audio_tokenizer.h"
#include "tokenize/image_tokenizer.h"
#include "tokenize/visual_input.h"

namespace mm::tokenize {

// Whether FFmpeg finds a sound it can decode in `path` (false for a silent video).
bool has_sound(const std::string& path);
// Whether it finds pictures (false for sound in an MP4 container: .m4a).
bool has_pictures(const std::string& path);

// Throws mm::Error when the file cannot be opened or no frame decodes.
VideoReport write_movie_segments(const std::string& path, const ImageTokenizer& video_tokenizer,
                                 const AudioTokenizer& audio_tokenizer, stream::Writer& writer,
                                 const VisualOptions& visual, double chunk_seconds = 1);

}  // namespace mm::tokenize
