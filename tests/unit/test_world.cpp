#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <set>
#include <string_view>
#include <vector>

#include "error.h"
#include "media/image_io.h"
#include "media/video.h"
#include "world/detect.h"
#include "world/drawing.h"
#include "world/language.h"
#include "world/perceive.h"
#include "world/random.h"
#include "world/raster.h"
#include "world/scene.h"
#include "world/score.h"
#include "world/solve.h"

using namespace mm;
using namespace mm::world;

namespace {

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

// Every object of the scene recovered exactly: colour, shape, size, and centre within
// `tolerance` world units; nothing else found.
bool recovered(const Scene& scene, const media::Image& image, double tolerance, std::string& why) {
  auto found = detect(image);
  if (found.size() != scene.objects.size()) {
    why = std::to_string(found.size()) + " objects found";
    return false;
  }
  for (const auto& o : scene.objects) {
    bool hit = std::any_of(found.begin(), found.end(), [&](const Detection& d) {
      return d.colour == o.colour && d.shape == o.shape && d.size == o.size && std::abs(d.x - o.x) <= tolerance &&
             std::abs(d.y - o.y) <= tolerance;
    });
    if (!hit) {
      why = std::string("missed the ") + name(o.colour) + " " + name(o.shape);
      return false;
    }
  }
  return true;
}

media::Image jpeg_copy(const media::Image& image, int quality) {
  auto bytes = media::encode_image(image, media::ImageFormat::Jpeg, {quality});
  return media::decode_image(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "copy.jpg");
}

}  // namespace

TEST_CASE("the same seed and index give the same scene, image and words on every machine") {
  // Fixed values: a change here means every corpus and every trained model changes.
  Scene scene = generate_scene(0, 0);
  CHECK(caption(scene) ==
        "a yellow circle below and to the right of a small purple circle, and the purple circle above a small green "
        "triangle");
  CHECK(motion_sentence(scene) == "the yellow circle moves slowly up");
  CHECK(fnv1a(render_image(scene, 64).rgb) == 0x266fabeaf6b405d8ull);
  CHECK(to_json(generate_scene(7, 123)) == to_json(generate_scene(7, 123)));
  CHECK(to_json(generate_scene(7, 123)) != to_json(generate_scene(8, 123)));
  Random a(42), b(42);
  for (int i = 0; i < 100; ++i) CHECK(a.below(1000) == b.below(1000));
  CHECK(scene_from_json(to_json(generate_scene(3, 9))) == generate_scene(3, 9));
}

TEST_CASE("scenes keep the world's invariants: unique colours, one cell each, inside the canvas") {
  std::set<size_t> counts;
  int moving = 0;
  for (uint64_t index = 0; index < 1000; ++index) {
    Scene s = generate_scene(1, index);
    REQUIRE(!s.objects.empty());
    REQUIRE(s.objects.size() <= 3);
    counts.insert(s.objects.size());
    std::set<int> colours, cells;
    for (const auto& o : s.objects) {
      colours.insert(int(o.colour));
      cells.insert(cell_of(o.y) * 3 + cell_of(o.x));
      double half = extent_of(o.size) / 2.0;
      for (double t : {0.0, 1.0}) {
        double x, y;
        position_at(o, t, x, y);
        CHECK(x - half >= 0);
        CHECK(y - half >= 0);
        CHECK(x + half <= kWorldSize);
        CHECK(y + half <= kWorldSize);
      }
      moving += o.motion != Direction::None;
    }
    CHECK(colours.size() == s.objects.size());
    CHECK(cells.size() == s.objects.size());
    Scene sorted = s;
    canonicalize(sorted);
    CHECK(sorted == s);
  }
  CHECK(counts.size() == 3);
  CHECK(moving > 300);
  CHECK(moving < 500);
  CHECK(is_held_out(0, 0));
  CHECK(is_held_out(0, kHeldOutEnd - 1));
  CHECK_FALSE(is_held_out(0, kHeldOutEnd));
  CHECK_FALSE(is_held_out(1, 0));
}

TEST_CASE("a placement twin has the same objects, still, each in a place of its own, and another caption") {
  std::set<size_t> counts;
  for (uint64_t index = 0; index < 1000; ++index) {
    const Scene s = generate_scene(1, index);
    const Scene twin = placement_twin(s);
    CAPTURE(caption(s));
    REQUIRE(twin.objects.size() == s.objects.size());
    CHECK(twin.seed == s.seed);
    CHECK(twin.index == s.index);
    std::set<int> cells, places, twin_places;
    for (size_t i = 0; i < s.objects.size(); ++i) {
      const Object &o = s.objects[i], &t = twin.objects[i];
      CHECK((t.shape == o.shape && t.colour == o.colour && t.size == o.size));
      CHECK(t.motion == Direction::None);
      cells.insert(cell_of(t.y) * 3 + cell_of(t.x));
      places.insert(o.x * kWorldSize + o.y);
      twin_places.insert(t.x * kWorldSize + t.y);
      if (s.objects.size() == 1) {  // a lone object keeps its offset within the cell
        CHECK(t.x - o.x == (cell_of(t.x) - cell_of(o.x)) * kCell);
        CHECK(t.y - o.y == (cell_of(t.y) - cell_of(o.y)) * kCell);
      }
      CHECK((t.x != o.x || t.y != o.y));
    }
    CHECK(cells.size() == s.objects.size());
    if (s.objects.size() > 1) CHECK(places == twin_places);  // the objects trade places
    CHECK(caption(twin) != caption(s));
    CHECK(motion_sentence(twin) == "nothing moves");
    Scene sorted = twin;
    canonicalize(sorted);
    CHECK(sorted == twin);
    counts.insert(s.objects.size());
  }
  CHECK(counts.size() == 3);
}

TEST_CASE("an added twin has one object more, in a cell of its own with a colour of its own, still") {
  int added_count = 0;
  for (uint64_t index = 0; index < 1000; ++index) {
    const Scene s = generate_scene(1, index);
    const auto added = object_added(s);
    CAPTURE(caption(s));
    if (s.objects.size() == 3) {
      CHECK_FALSE(added);
      continue;
    }
    REQUIRE(added);
    ++added_count;
    REQUIRE(added->objects.size() == s.objects.size() + 1);
    std::set<int> cells, colours;
    for (const auto& o : added->objects) {
      cells.insert(cell_of(o.y) * 3 + cell_of(o.x));
      colours.insert(int(o.colour));
      CHECK(o.motion == Direction::None);
    }
    CHECK(cells.size() == added->objects.size());
    CHECK(colours.size() == added->objects.size());
    for (auto o : s.objects) {  // every object of the scene is still there, where it was
      o.motion = Direction::None, o.speed = Speed::Slow;
      CHECK(std::count(added->objects.begin(), added->objects.end(), o) == 1);
    }
    Scene sorted = *added;
    canonicalize(sorted);
    CHECK(sorted == *added);
    CHECK(to_json(*object_added(s)) == to_json(*added));
  }
  CHECK(added_count > 500);
}

TEST_CASE("captions, motion, questions and edits follow the grammar") {
  Scene s;
  s.objects = {{Shape::Circle, Colour::Red, Size::Small, 48, 16}, {Shape::Square, Colour::Orange, Size::Medium, 48, 48}};
  CHECK(caption(s) == "a small red circle above an orange square");
  s.objects.push_back({Shape::Triangle, Colour::Green, Size::Large, 80, 80, Direction::Left, Speed::Fast});
  CHECK(caption(s) ==
        "a small red circle above an orange square, and the orange square above and to the left of a large green "
        "triangle");
  CHECK(motion_sentence(s) == "the green triangle moves quickly to the left");
  Scene one;
  one.objects = {{Shape::Triangle, Colour::Yellow, Size::Large, 16, 80}};
  CHECK(caption(one) == "a large yellow triangle at the bottom left");
  CHECK(motion_sentence(one) == "nothing moves");

  auto answer = [&](const Scene& scene, const std::string& q) {
    for (const auto& item : questions(scene))
      if (item.question == q) return item.answer;
    return std::string("(not asked)");
  };
  CHECK(answer(s, "how many shapes are there?") == "three");
  CHECK(answer(s, "how many squares are there?") == "one");
  CHECK(answer(one, "how many squares are there?") == "zero");
  CHECK(answer(s, "what colour is the triangle?") == "green");
  CHECK(answer(s, "what shape is the orange object?") == "square");
  CHECK(answer(s, "is there a blue square?") == "no");
  CHECK(answer(s, "what is moving?") == "the green triangle");
  CHECK(answer(one, "where is the yellow triangle?") == "bottom left");

  auto edit = [&](const Scene& scene, const std::string& instruction) {
    for (const auto& e : edits(scene))
      if (e.instruction == instruction) return e.result;
    FAIL("no edit " << instruction);
    return scene;
  };
  Scene recoloured = edit(one, "make the yellow triangle blue");
  CHECK(recoloured.objects[0].colour == Colour::Blue);
  Scene moved = edit(one, "move the yellow triangle up");
  CHECK(moved.objects[0].y == 48);
  CHECK(edit(s, "remove the red circle").objects.size() == 2);
  CHECK(edit(s, "make the red circle large").objects[0].size == Size::Large);
  // Moves go only to empty cells: the square's right-hand neighbour is free, its top is not.
  bool up = false;
  for (const auto& e : edits(s)) up = up || e.instruction == "move the orange square up";
  CHECK_FALSE(up);

  CHECK(normalize("  A Small, RED circle! ") == "a small red circle");
  CHECK(word_accuracy("a small red circle", "a small red circle") == 1.0);
  CHECK(word_accuracy("a small red circle", "a small blue circle") == doctest::Approx(0.75));
  CHECK(word_accuracy("a small red circle", "") == 0.0);
}

TEST_CASE("the drawing language round-trips and names the line of a fault") {
  for (uint64_t index = 0; index < 200; ++index) {
    Scene s = generate_scene(0, index);
    CHECK(parse_code(to_code(s.objects)) == s.objects);
  }
  CHECK(parse_code("# nothing\n\n   \n").empty());
  auto objects = parse_code("circle red small at 16 48 # a comment\n\tsquare blue large at 48 48 moving left fast\r\n");
  REQUIRE(objects.size() == 2);
  CHECK(objects[1].motion == Direction::Left);
  CHECK(objects[1].speed == Speed::Fast);
  auto error_of = [](const std::string& code) {
    try {
      parse_code(code);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(error_of("circle red small at 16 48\nhexagon red small at 1 2") ==
        "line 2: expected a shape (circle, square, triangle), got 'hexagon'");
  CHECK(error_of("circle pink small at 1 2") ==
        "line 1: expected a colour (red, orange, yellow, green, blue, purple), got 'pink'");
  CHECK(error_of("circle red small at 96 2") == "line 1: expected x from 0 to 95, got '96'");
  CHECK(error_of("circle red small at 1") == "line 1: expected y from 0 to 95, got the end of the line");
  CHECK(error_of("circle red small 1 2") == "line 1: expected 'at', got '1'");
  CHECK(error_of("circle red small at 1 2 moving none slow") ==
        "line 1: expected a direction (left, right, up, down), got 'none'");
  CHECK(error_of("circle red small at 1 2 please") == "line 1: unexpected 'please' after the object");
  std::string many;
  for (size_t i = 0; i <= kMaxDrawingObjects; ++i) many += "circle red small at 1 2\n";
  CHECK(error_of(many) == "line 65: more than 64 objects");
}

TEST_CASE("the detectors recover every object of the renderer's own images exactly") {
  std::string why;
  for (uint64_t index = 0; index < 150; ++index) {
    Scene s = generate_scene(0, index);
    CAPTURE(index);
    CHECK_MESSAGE(recovered(s, render_image(s, 64), 1.0, why), why);
    CHECK_MESSAGE(recovered(s, render_image(s, 128), 0.5, why), why);
  }
  for (uint64_t index = 0; index < 50; ++index) {
    Scene s = generate_scene(0, index);
    CAPTURE(index);
    CHECK_MESSAGE(recovered(s, render_image(s, 32), 1.5, why), why);
  }
}

// A 3x3 box blur: what a decoder's reconstruction does to edges.
media::Image blurred(const media::Image& in) {
  media::Image out = in;
  const int w = in.width, h = in.height;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        int sum = 0, n = 0;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx)
            if (x + dx >= 0 && x + dx < w && y + dy >= 0 && y + dy < h) sum += in.rgb[((y + dy) * w + x + dx) * 3 + c], ++n;
        out.rgb[(y * w + x) * 3 + c] = uint8_t((sum + n / 2) / n);
      }
  return out;
}

TEST_CASE("the detectors recover every object from noisy, JPEG and blurred copies") {
  std::string why;
  for (uint64_t index = 0; index < 150; ++index) {
    Scene s = generate_scene(0, index);
    CAPTURE(index);
    media::Image noisy = render_image(s, 64);
    Random noise(index);
    for (auto& v : noisy.rgb) v = uint8_t(std::clamp(int(v) + int(noise.below(41)) - 20, 0, 255));
    CHECK_MESSAGE(recovered(s, noisy, 1.5, why), why);
    CHECK_MESSAGE(recovered(s, jpeg_copy(render_image(s, 64), 3), 1.5, why), why);
    CHECK_MESSAGE(recovered(s, jpeg_copy(render_image(s, 64), 5), 1.5, why), why);
    CHECK_MESSAGE(recovered(s, blurred(blurred(render_image(s, 64))), 1.5, why), why);
  }
}

TEST_CASE("the scorer accepts the truth and rejects wrong answers") {
  Scene s;
  s.objects = {{Shape::Circle, Colour::Red, Size::Small, 48, 16}, {Shape::Square, Colour::Blue, Size::Large, 48, 48},
               {Shape::Triangle, Colour::Green, Size::Medium, 80, 80, Direction::Left, Speed::Fast}};
  Scene still = s;
  for (auto& o : still.objects) o.motion = Direction::None;
  CHECK(check_image(render_image(still, 64), still, Placement::Positions).score == 1);
  CHECK(check_image(render_image(still, 64), still, Placement::Relations).score == 1);

  // A missing object, a recoloured one, a wrong size, a wrong shape, an extra object.
  Scene missing = still;
  missing.objects.pop_back();
  CHECK(check_image(render_image(missing, 64), still, Placement::Relations).reason == "missing the medium green triangle");
  Scene recoloured = still;
  recoloured.objects[0].colour = Colour::Orange;
  CHECK(check_image(render_image(recoloured, 64), still, Placement::Relations).score == 0);
  Scene resized = still;
  resized.objects[1].size = Size::Small;
  CHECK(check_image(render_image(resized, 64), still, Placement::Relations).reason ==
        "the large blue square is drawn as a small blue square");
  Scene reshaped = still;
  reshaped.objects[2].shape = Shape::Circle;
  CHECK(check_image(render_image(reshaped, 64), still, Placement::Relations).score == 0);
  Scene extra = still;
  extra.objects.push_back({Shape::Circle, Colour::Purple, Size::Small, 16, 80});
  CHECK(check_image(render_image(extra, 64), still, Placement::Relations).reason == "an extra small purple circle");
  // Mirrored left to right: the relations change; moved a cell: the positions do.
  Scene mirrored = still;
  for (auto& o : mirrored.objects) o.x = kWorldSize - o.x;
  CHECK(check_image(render_image(mirrored, 64), still, Placement::Relations).score == 0);
  Scene shifted = still;
  for (auto& o : shifted.objects) o.y -= 8;
  CHECK(check_image(render_image(shifted, 64), still, Placement::Relations).score == 1);
  CHECK(check_image(render_image(shifted, 64), still, Placement::Positions).score == 0);

  // Captions and answers: exact after normalisation; a swapped colour is wrong.
  CHECK(check_text("A small red circle above a large blue square, and the blue square above and to the left of a "
                   "green triangle.",
                   caption(still)).score == 1);
  CHECK(check_text("a small blue circle above a large red square, and the red square above and to the left of a "
                   "green triangle",
                   caption(still)).score == 0);
  CHECK(check_transcript("a small red circle", "a small red circle").score == 1);

  // Code: parsed and compared; a wrong size or a far position is wrong, a near one is not.
  CHECK(check_code(to_code(still.objects), still).score == 1);
  std::string near = to_code(still.objects);
  near.replace(near.find("at 48 16"), 8, "at 50 18");
  CHECK(check_code(near, still).score == 1);
  std::string wrong = to_code(still.objects);
  wrong.replace(wrong.find("small"), 5, "large");
  CHECK(check_code(wrong, still).score == 0);
  CHECK(check_code("circle red", still).reason.rfind("code: line 1:", 0) == 0);

  // Video: the right motion passes; the opposite direction, the wrong speed, or none fail.
  CHECK(check_video(render_video(s, 64), s).score == 1);
  Scene backwards = s;
  backwards.objects[2].motion = Direction::Right;
  backwards.objects[2].x -= kCell;
  CHECK(check_video(render_video(backwards, 64), s).score == 0);
  Scene slow = s;
  slow.objects[2].speed = Speed::Slow;
  CHECK(check_video(render_video(slow, 64), s).reason == "the green triangle moves slow, not fast");
  CHECK(check_video(render_video(still, 64), s).reason == "the green triangle does not move, not left");
}

TEST_CASE("accuracies carry a 95% interval: Wilson's for right-or-wrong scores, the normal one for fractions") {
  auto tally = [](std::vector<double> scores) {
    world::TaskTally t;
    for (double s : scores) ++t.tasks, t.add(s);
    return t;
  };
  // 21 of 50 right: Wilson's interval at z = 1.96 is 0.294 to 0.558
  std::vector<double> right(50, 0.0);
  std::fill(right.begin(), right.begin() + 21, 1.0);
  auto [low, high] = tally(right).interval();
  CHECK(low == doctest::Approx(0.2940).epsilon(1e-3));
  CHECK(high == doctest::Approx(0.5580).epsilon(1e-3));
  // none right is not "exactly 0": the interval still reaches above it
  auto none = tally(std::vector<double>(50, 0.0)).interval();
  CHECK(none.first == 0.0);
  CHECK(none.second == doctest::Approx(0.0714).epsilon(1e-3));
  // word accuracies: mean 0.75, sample standard deviation 0.2887 over 4, so 0.75 +- 1.96 * 0.1443
  auto words = tally({0.5, 1.0, 0.5, 1.0}).interval();
  CHECK(words.first == doctest::Approx(0.75 - 1.959964 * 0.288675 / 2).epsilon(1e-4));
  CHECK(words.second == 1.0);  // clamped
  // nothing scored: nothing known
  CHECK(world::TaskTally().interval() == std::make_pair(0.0, 1.0));
}

TEST_CASE("two runs compare task by task: who scores higher where they disagree, and the sign test's p") {
  // exact binomial tails (Python's math.comb): 23 against 11 is p = 0.0576, 15 against 13 is 0.851
  CHECK(world::sign_test(23, 11) == doctest::Approx(0.0576127).epsilon(1e-5));
  CHECK(world::sign_test(15, 13) == doctest::Approx(0.8505540).epsilon(1e-5));
  CHECK(world::sign_test(0, 5) == doctest::Approx(0.0625));
  CHECK(world::sign_test(3, 3) == 1.0);
  CHECK(world::sign_test(0, 0) == 1.0);
  CHECK(world::sign_test(1000, 900) == doctest::Approx(0.0231088).epsilon(1e-4));  // no overflow
  world::Report a, b;
  a.scores = {{"s0-1.caption_image", {"caption_image", 1}}, {"s0-2.caption_image", {"caption_image", 1}},
              {"s0-3.caption_image", {"caption_image", 0}}, {"s0-1.transcribe_speech", {"transcribe_speech", 0.75}},
              {"s0-4.caption_image", {"caption_image", 1}}};  // s0-4: not in b, not paired
  b.scores = {{"s0-1.caption_image", {"caption_image", 0}}, {"s0-2.caption_image", {"caption_image", 1}},
              {"s0-3.caption_image", {"caption_image", 1}}, {"s0-1.transcribe_speech", {"transcribe_speech", 0.5}}};
  auto paired = world::compare_reports(a, b);
  REQUIRE(paired.size() == 2);
  CHECK(paired["caption_image"].paired == 3);
  CHECK(paired["caption_image"].better == 1);
  CHECK(paired["caption_image"].worse == 1);
  CHECK(paired["caption_image"].p_value == 1.0);
  CHECK(paired["transcribe_speech"].better == 1);
  CHECK(paired["transcribe_speech"].worse == 0);
}

TEST_CASE("every reference answer follows from the pixels: perceived scenes give the same words") {
  for (uint64_t index = 0; index < 200; ++index) {
    Scene scene = generate_scene(0, index);
    CAPTURE(index);
    Scene still = scene;
    for (auto& o : still.objects) o.motion = Direction::None, o.speed = Speed::Slow;
    for (const media::Image& image : {render_image(scene, 64), jpeg_copy(render_image(scene, 64), 3)}) {
      Scene seen = perceive(image);
      CHECK(caption(seen) == caption(scene));
      CHECK(check_code(to_code(seen.objects), still).score == 1);
    }
    Scene moving = perceive(render_video(scene, 64));
    CHECK(motion_sentence(moving) == motion_sentence(scene));
    auto asked = questions(scene), answered = questions(moving);
    REQUIRE(asked.size() == answered.size());
    for (size_t i = 0; i < asked.size(); ++i) CHECK(answered[i].answer == asked[i].answer);
  }
}

TEST_CASE("motion survives H.264: perceived from decoded MP4 frames") {
  char pattern[] = "/tmp/mm-world-video-XXXXXX";
  int fd = ::mkstemp(pattern);
  REQUIRE(fd >= 0);
  ::close(fd);
  const std::string path = std::string(pattern) + ".mp4";
  std::remove(pattern);
  for (uint64_t index = 0; index < 24; ++index) {
    Scene scene = generate_scene(0, index);
    CAPTURE(index);
    {
      media::VideoEncoder encoder(path, "mp4", 64, 64, kVideoFps);
      for (const auto& frame : render_video(scene, 64)) encoder.add(frame);
      encoder.finish();
    }
    media::VideoDecoder decoder(path, {});
    std::vector<media::Image> frames;
    for (media::VideoFrame f; decoder.next(f);) frames.push_back(f.image);
    CHECK(frames.size() == size_t(kVideoFrames));
    CHECK(motion_sentence(perceive(frames)) == motion_sentence(scene));
    CHECK(check_video(frames, scene).score == 1);
  }
  std::remove(path.c_str());
}

TEST_CASE("captions parse back into scenes that have the same caption and motion") {
  for (uint64_t index = 0; index < 300; ++index) {
    Scene scene = generate_scene(5, index);
    CAPTURE(index);
    auto laid_out = scene_of_caption(caption(scene) + "; " + motion_sentence(scene));
    REQUIRE(laid_out);
    CHECK(caption(*laid_out) == caption(scene));
    CHECK(motion_sentence(*laid_out) == motion_sentence(scene));
    Scene still = *laid_out;
    for (auto& o : still.objects) o.motion = Direction::None;
    CHECK(check_image(render_image(still, 64), scene, Placement::Relations).score == 1);
  }
  CHECK(scene_of_caption("A large yellow triangle at the top left.")->objects[0].x == 16);
  CHECK_FALSE(scene_of_caption("a red hexagon"));
  CHECK_FALSE(scene_of_caption("a red circle above"));
  CHECK_FALSE(scene_of_caption("a red circle above a blue square, and the green square below a red triangle"));
  // Four objects each above the next cannot fit in three rows.
  CHECK_FALSE(scene_of_caption("a red circle above a blue square, and the blue square above a green square, and the "
                               "green square above a yellow square"));
  CHECK_FALSE(scene_of_caption("a red circle at the top; the red circle moves up"));  // nowhere to go
}
