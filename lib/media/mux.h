// Puts a sound track into a video file: the video's packets are copied as they are (no
// re-encoding) and the sound is encoded to AAC (FFmpeg's encoder, 96 kbit/s), both starting
// at time 0 and interleaved by time, so they play in sync. For mm-render, whose video is
// written frame by frame before the stream says whether sound follows.
#pragma once

#include <string>

namespace mm::media {

// `video`: an MP4 with one video stream; `sound`: any file AudioDecoder reads (mono at
// 48 kHz is what mm-render gives). Writes `output` (MP4). Throws mm::Error.
void mux_sound(const std::string& video, const std::string& sound, const std::string& output);

}  // namespace mm::media
