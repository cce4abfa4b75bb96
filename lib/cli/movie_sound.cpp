#include "cli/movie_sound.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "error.h"
#include "media/mux.h"

namespace mm::cli {

MovieSound::MovieSound(AudioRenderer& sound, VisualRenderer& visual, bool enabled) : sound_(sound) {
  if (!enabled) return;
  AudioRenderer::Tap tap;
  tap.rate = 48000;
  tap.wants = [this](const std::string& source) { return !source.empty() && source == video_source_; };
  tap.sink = [this](const float* samples, size_t n) {
    if (!wav_) {
      const char* dir = std::getenv("TMPDIR");
      std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/mm-render-sound-XXXXXX";
      std::vector<char> name(pattern.begin(), pattern.end());
      name.push_back('\0');
      int fd = ::mkstemp(name.data());
      if (fd < 0) throw Error(pattern + ": cannot create a temporary file for the video's sound");
      ::close(fd);
      wav_path_ = name.data();
      wav_ = std::make_unique<media::AudioWriter>(wav_path_, "wav", 48000, 1);
    }
    wav_->write(samples, n);
  };
  sound.set_tap(std::move(tap));
  visual.before_video_commit = [this](const std::string& path) { add_sound_to(path); };
}

MovieSound::~MovieSound() {
  wav_.reset();
  if (!wav_path_.empty()) std::remove(wav_path_.c_str());
}

void MovieSound::video_began(const std::string& metadata_json) {
  nlohmann::json meta = nlohmann::json::parse(metadata_json, nullptr, false);
  if (!meta.is_object()) return;
  uint64_t part = meta.value("part", uint64_t(0));
  if (part == 0) video_source_ = meta.value("source", std::string());
}

void MovieSound::add_sound_to(const std::string& video_temp_path) {
  sound_.end_recording();  // the sound's last samples, if it was the video's
  if (!wav_) return;       // a video without sound
  wav_->finish();
  wav_.reset();
  const std::string muxed = video_temp_path + ".sound.mp4";
  try {
    media::mux_sound(video_temp_path, wav_path_, muxed);
  } catch (...) {
    std::remove(muxed.c_str());
    throw;
  }
  if (std::rename(muxed.c_str(), video_temp_path.c_str()) != 0) {
    std::remove(muxed.c_str());
    throw Error(video_temp_path + ": cannot replace it with the video and its sound");
  }
  std::remove(wav_path_.c_str());
  wav_path_.clear();
}

}  // namespace mm::cli
