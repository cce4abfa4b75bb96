// mm-draw: the drawing language of mm-world(1) to a PNG image, or an MP4 of its motion.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/files.h"
#include "cli/program.h"
#include "error.h"
#include "media/image_io.h"
#include "media/video.h"
#include "stream/io.h"
#include "world/drawing.h"
#include "world/raster.h"

namespace {

using namespace mm;

std::string read_all(stream::Source& source) {
  std::string text;
  char buffer[65536];
  for (size_t n; (n = source.read(buffer, sizeof buffer)) > 0;) {
    text.append(buffer, n);
    if (text.size() > world::kMaxDrawingBytes) break;  // parse_code names the limit
  }
  return text;
}

// The MP4 muxer writes to a path: encode beside /tmp, then copy into the output.
std::string encode_video(const std::vector<world::Object>& objects, int size) {
  char path[] = "/tmp/mm-draw-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) throw Error("cannot create a temporary file");
  ::close(fd);
  std::string bytes;
  try {
    world::Scene scene;
    scene.objects = objects;
    // One encoding thread: tiny videos gain nothing from more, and the bytes cannot depend on timing.
    media::VideoEncoder encoder(path, "mp4", size, size, world::kVideoFps, 1);
    for (const auto& frame : world::render_video(scene, size)) encoder.add(frame);
    encoder.finish();
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    bytes = s.str();
  } catch (...) {
    std::remove(path);
    throw;
  }
  std::remove(path);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Program program("mm-draw", "Draw code in mm-world's drawing language as a PNG image, or an MP4 of its motion.",
                       cli::kOutput | cli::kForce | cli::kQuiet);
  std::string input = "-";
  int size = 64;
  bool video = false;
  auto& app = program.app();
  app.add_option("INPUT", input, "The drawing code ('-' or none: stdin)")->type_name("FILE");
  app.add_option("--size", size, "Side of the image in pixels (default 64)")->type_name("PX")->check(CLI::Range(16, 1024));
  app.add_flag("--video", video, "Write an MP4 of the motion (16 frames at 8 fps) instead of the first frame as PNG");

  return program.run(argc, argv, [&] {
    const auto& opt = program.options();
    cli::Input in(input, false);
    std::vector<world::Object> objects;
    try {
      objects = world::parse_code(read_all(in.source()));
    } catch (const BrokenPipe&) {
      throw;
    } catch (const Error& e) {
      throw Error(in.name() + ": " + e.what());
    }
    cli::Output out(opt.output, cli::Content::Binary, opt.force);
    if (video) {
      std::string bytes = encode_video(objects, size);
      out.sink().write(bytes.data(), bytes.size());
    } else {
      auto bytes = media::encode_image(world::render_image(objects, size), media::ImageFormat::Png);
      out.sink().write(bytes.data(), bytes.size());
    }
    out.commit();
  });
}
