#include "world/corpus.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <fstream>
#include <nlohmann/json.hpp>

#include "error.h"
#include "media/image_io.h"
#include "media/video.h"
#include "world/drawing.h"
#include "world/language.h"
#include "world/random.h"
#include "world/raster.h"
#include "world/scene.h"

extern char** environ;

namespace mm::world {

namespace {

using nlohmann::json;

void write_file(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), std::streamsize(size));
  out.close();
  if (!out) throw Error(path + ": cannot write");
}

void write_png(const std::string& path, const media::Image& image) {
  auto bytes = media::encode_image(image, media::ImageFormat::Png);
  write_file(path, bytes.data(), bytes.size());
}

void write_video(const std::string& path, const Scene& scene, int size) {
  // One encoding thread: tiny videos gain nothing from more, and the bytes cannot depend on timing.
  media::VideoEncoder encoder(path, "mp4", size, size, kVideoFps, 1);
  for (const auto& frame : render_video(scene, size)) encoder.add(frame);
  encoder.finish();
}

void make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
    throw Error(path + ": cannot create the directory: " + std::strerror(errno));
}

json truth(const Scene& scene) { return json::parse(to_json(scene)); }

}  // namespace

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names = {
      "caption_image", "draw_caption",    "code_image",      "draw_code",  "transcribe_speech",
      "speak_caption", "describe_motion", "animate_caption", "edit_image", "answer_question", "copy_image"};
  return names;
}

void speak(const std::string& text, const std::string& wav_path) {
  std::vector<std::string> args = {"espeak-ng", "-v", "en-us", "-s", "150", "-w", wav_path, "--", text};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = ::posix_spawnp(&pid, "espeak-ng", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) throw Error(std::string("cannot run espeak-ng (install the espeak-ng package): ") + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("espeak-ng failed on \"" + text + "\"");
}

TaskChoices task_choices(uint64_t seed, const Scene& scene) {
  Random choice(mix_seed(seed, scene.index) ^ 0x63686f6963657321ull);
  const auto asked = questions(scene);
  const Question question = asked[choice.below(asked.size())];
  const auto first_edits = edits(scene);
  const Edit first_edit = first_edits[choice.below(first_edits.size())];
  const auto second_edits = edits(first_edit.result);
  return {question, first_edit, second_edits[choice.below(second_edits.size())]};
}

std::vector<std::pair<std::string, Scene>> twins_of(uint64_t seed, const Scene& scene, const TwinKinds& kinds) {
  std::vector<std::pair<std::string, Scene>> twins;
  if (kinds.placed) twins.emplace_back("-placed", placement_twin(scene));
  if (kinds.edited) twins.emplace_back("-edited", task_choices(seed, scene).first_edit.result);
  if (kinds.added)
    if (auto added = object_added(scene)) twins.emplace_back("-added", std::move(*added));
  return twins;
}

namespace {

// Makes the scenes on `options.threads` threads (0: one per core) and hands their lines to
// `line` in index order, on the calling thread. Workers run at most a few scenes ahead of
// the writer, so memory stays bounded; the first error stops everything and is rethrown.
void in_order(const CorpusOptions& options, const std::function<std::vector<std::string>(uint64_t)>& make_scene,
              const std::function<void(const std::string&)>& line) {
  const uint64_t end = options.first + options.count;
  uint64_t workers = options.threads > 0 ? uint64_t(options.threads) : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, options.count);
  if (workers <= 1) {
    for (uint64_t index = options.first; index < end; ++index)
      for (const auto& l : make_scene(index)) line(l);
    return;
  }
  std::mutex mutex;
  std::condition_variable changed;
  std::map<uint64_t, std::vector<std::string>> finished;
  uint64_t next = options.first, emitted = options.first;
  const uint64_t window = 4 * workers;
  std::exception_ptr failure;
  auto fail = [&](std::exception_ptr e) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = e;
    }
    changed.notify_all();
  };
  auto work = [&] {
    for (;;) {
      uint64_t index;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return failure || next >= end || next < emitted + window; });
        if (failure || next >= end) return;
        index = next++;
      }
      try {
        auto lines = make_scene(index);
        {
          std::lock_guard<std::mutex> lock(mutex);
          finished[index] = std::move(lines);
        }
        changed.notify_all();
      } catch (...) {
        fail(std::current_exception());
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (uint64_t i = 0; i < workers; ++i) pool.emplace_back(work);
  try {
    std::unique_lock<std::mutex> lock(mutex);
    while (emitted < end) {
      changed.wait(lock, [&] { return failure || finished.count(emitted); });
      if (failure) break;
      auto lines = std::move(finished[emitted]);
      finished.erase(emitted++);
      lock.unlock();
      changed.notify_all();
      for (const auto& l : lines) line(l);
      lock.lock();
    }
  } catch (...) {
    fail(std::current_exception());
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

void write_corpus(const CorpusOptions& options, const std::function<void(const std::string&)>& line) {
  std::vector<std::string> tasks = options.tasks.empty() ? task_names() : options.tasks;
  for (const auto& t : tasks)
    if (std::find(task_names().begin(), task_names().end(), t) == task_names().end())
      throw UsageError("unknown task '" + t + "'");
  auto wanted = [&](const char* t) { return std::find(tasks.begin(), tasks.end(), t) != tasks.end(); };
  auto any_of = [&](std::initializer_list<const char*> ts) {
    return std::any_of(ts.begin(), ts.end(), [&](const char* t) { return wanted(t); });
  };
  if (options.size < 16 || options.size > 1024) throw UsageError("--size must be from 16 to 1024 pixels");
  make_directory(options.directory);
  const std::string root = options.directory + (options.directory.back() == '/' ? "" : "/");

  // One scene's files, and its manifest lines; scenes are independent of one another.
  auto make_one = [&](const Scene& scene, const std::string& id, std::vector<std::string>& lines) {
    const uint64_t index = scene.index;
    make_directory(root + id);
    const std::string image = id + "/image.png", video = id + "/video.mp4", speech = id + "/speech.wav";
    const std::string text = caption(scene), motion = motion_sentence(scene);
    const auto [question, first_edit, second_edit] = task_choices(options.seed, scene);

    if (any_of({"caption_image", "draw_caption", "code_image", "draw_code", "edit_image", "copy_image"}) ||
        (wanted("answer_question") && !question.needs_video))
      write_png(root + image, render_image(scene, options.size));
    if (any_of({"describe_motion", "animate_caption"}) || (wanted("answer_question") && question.needs_video))
      write_video(root + video, scene, options.size);
    if (any_of({"transcribe_speech", "speak_caption"})) speak(text, root + speech);
    if (wanted("edit_image")) {
      write_png(root + id + "/edit-1.png", render_image(first_edit.result, options.size));
      write_png(root + id + "/edit-2.png", render_image(second_edit.result, options.size));
    }

    const Scene still = world::still(scene);  // what the image shows
    auto emit = [&](const char* task, json turns) {
      if (!wanted(task)) return;
      json j = {{"id", id + "." + task}, {"task", task},   {"scene", id},
                {"seed", options.seed},  {"index", index}, {"held_out", is_held_out(options.seed, index)},
                {"turns", turns}};
      lines.push_back(j.dump());
    };
    auto turn = [&](const char* task, json user, json assistant, const char* extension, const Scene& shown,
                    int number = 0) {
      std::string output = id + "." + task + (number ? "." + std::to_string(number) : std::string()) + extension;
      return json{{"user", user}, {"assistant", assistant}, {"output", output}, {"truth", truth(shown)}};
    };
    emit("caption_image", {turn("caption_image", {{{"image", image}}, {{"text", "describe the image"}}},
                                {{"text", text}}, ".txt", still)});
    emit("draw_caption", {turn("draw_caption", {{{"text", "draw " + text}}}, {{"image", image}}, ".png", still)});
    emit("code_image", {turn("code_image", {{{"image", image}}, {{"text", "write the drawing code"}}},
                             {{"code", to_code(still.objects)}}, ".draw", still)});
    emit("draw_code", {turn("draw_code", {{{"text", "draw this code"}}, {{"code", to_code(still.objects)}}},
                            {{"image", image}}, ".png", still)});
    emit("transcribe_speech", {turn("transcribe_speech", {{{"audio", speech}}, {{"text", "transcribe the speech"}}},
                                    {{"text", text}}, ".txt", still)});
    emit("speak_caption", {turn("speak_caption", {{{"text", "say " + text}}}, {{"audio", speech}}, ".wav", still)});
    emit("describe_motion", {turn("describe_motion", {{{"video", video}}, {{"text", "describe the motion"}}},
                                  {{"text", motion}}, ".txt", scene)});
    emit("animate_caption", {turn("animate_caption", {{{"text", "animate " + text + "; " + motion}}},
                                  {{"video", video}}, ".mp4", scene)});
    emit("edit_image",
         {turn("edit_image", {{{"image", image}}, {{"text", first_edit.instruction}}}, {{"image", id + "/edit-1.png"}},
               ".png", first_edit.result, 1),
          turn("edit_image", {{{"text", second_edit.instruction}}}, {{"image", id + "/edit-2.png"}}, ".png",
               second_edit.result, 2)});
    // The skill an edit stands on: the answer is the very file given, so its tokens are the prompt's.
    emit("copy_image", {turn("copy_image", {{{"image", image}}, {{"text", "copy the image"}}}, {{"image", image}},
                             ".png", still)});
    emit("answer_question", {turn("answer_question",
                                  {{{question.needs_video ? "video" : "image", question.needs_video ? video : image}},
                                   {{"text", question.question}}},
                                  {{"text", question.answer}}, ".txt", scene)});
  };
  auto make_scene = [&](uint64_t index) {
    std::vector<std::string> lines;
    const Scene scene = generate_scene(options.seed, index);
    const std::string id = scene_id(options.seed, index);
    make_one(scene, id, lines);
    for (const auto& [suffix, twin] : twins_of(options.seed, scene, options.twins)) make_one(twin, id + suffix, lines);
    return lines;
  };
  in_order(options, make_scene, line);
}

}  // namespace mm::world
