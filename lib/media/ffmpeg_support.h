// What every FFmpeg user in lib/media needs: its error codes as text, and its own log
// silenced so that our one-line errors are all a user sees.
#pragma once

#include <string>

namespace mm::media {

std::string av_error(int code);  // "Invalid data found when processing input"
void quiet_ffmpeg();             // idempotent

}  // namespace mm::media
