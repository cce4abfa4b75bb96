#include "media/ffmpeg_support.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace mm::media {

std::string av_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

void quiet_ffmpeg() { av_log_set_level(AV_LOG_QUIET); }

}  // namespace mm::media
