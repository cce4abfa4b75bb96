// mm-render's movies with sound: the audio segments of a video's source (mm-tokenize
// interleaves them with the video's) are decoded into a temporary WAV beside the video and,
// when the video is complete, put into its MP4 as an AAC track (media/mux.h) before the
// file is committed. Audio without a video of its source still renders to files of its own.
#pragma once

#include <memory>
#include <string>

#include "cli/audio_render.h"
#include "cli/visual_render.h"
#include "media/audio.h"

namespace mm::cli {

class MovieSound {
 public:
  // Hooks itself into both renderers; `enabled` false (GIF output) leaves them alone.
  MovieSound(AudioRenderer& sound, VisualRenderer& visual, bool enabled);
  ~MovieSound();  // removes the temporary WAV if a failure left one
  MovieSound(const MovieSound&) = delete;
  MovieSound& operator=(const MovieSound&) = delete;

  // After VisualRenderer::begin() of a video segment: its metadata (source, part).
  void video_began(const std::string& metadata_json);

 private:
  void add_sound_to(const std::string& video_temp_path);

  AudioRenderer& sound_;
  std::string video_source_;
  std::string wav_path_;
  std::unique_ptr<media::AudioWriter> wav_;
};

}  // namespace mm::cli
