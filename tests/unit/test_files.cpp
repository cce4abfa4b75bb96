#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "cli/files.h"
#include "error.h"
#include "support.h"

using namespace mm;

namespace {

struct TempDir {
  test::ScratchDir scratch{"files"};
  const std::string path = scratch.path();
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    while (dirent* e = ::readdir(dir))
      if (e->d_name[0] != '.' || (std::string(e->d_name) != "." && std::string(e->d_name) != ".."))
        names.push_back(e->d_name);
    ::closedir(dir);
    return names;
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("-o FILE appears only on commit, whole") {
  TempDir dir;
  std::string path = dir.path + "/out.mmt";
  {
    cli::Output out(path, cli::Content::Binary, false);
    out.sink().write("abc", 3);
    out.sink().flush();
    CHECK(::access(path.c_str(), F_OK) != 0);
    CHECK(dir.entries().size() == 1);  // the hidden temporary beside it
    out.commit();
  }
  CHECK(read_file(path) == "abc");
  CHECK(dir.entries() == std::vector<std::string>{"out.mmt"});
}

TEST_CASE("a failed program leaves no output and no temporary") {
  TempDir dir;
  std::string path = dir.path + "/out.mmt";
  {
    cli::Output out(path, cli::Content::Binary, false);
    out.sink().write("partial", 7);
  }
  CHECK(dir.entries().empty());
}

TEST_CASE("a renderer's files: committed now or held to the end; held ones vanish on failure") {
  TempDir dir;
  auto file = [&](const std::string& name) {
    auto out = std::make_unique<cli::Output>(dir.path + "/" + name, cli::Content::Binary, false);
    out->sink().write(name.data(), name.size());
    return out;
  };
  {
    cli::OutputFiles files;
    auto now = file("now.png");
    files.commit(*now);
    files.hold(file("held-1.png"));
    files.hold(file("held-2.png"));
    CHECK(read_file(dir.path + "/now.png") == "now.png");
    CHECK(::access((dir.path + "/held-1.png").c_str(), F_OK) != 0);
    CHECK(files.commit_held() ==
          std::vector<std::string>{dir.path + "/now.png", dir.path + "/held-1.png", dir.path + "/held-2.png"});
    CHECK(read_file(dir.path + "/held-2.png") == "held-2.png");
  }
  {
    cli::OutputFiles files;
    files.hold(file("never.png"));
  }  // the stream failed before the end: nothing of it is left
  CHECK(dir.entries().size() == 3);
  CHECK(::access((dir.path + "/never.png").c_str(), F_OK) != 0);
}

TEST_CASE("an existing file is kept unless forced") {
  TempDir dir;
  std::string path = dir.path + "/out.txt";
  std::ofstream(path) << "precious";
  CHECK_THROWS_WITH_AS(cli::Output(path, cli::Content::Text, false), doctest::Contains("already exists"), Error);
  CHECK(read_file(path) == "precious");
  {
    cli::Output out(path, cli::Content::Text, true);
    out.sink().write("new", 3);
    out.commit();
  }
  CHECK(read_file(path) == "new");
  CHECK_THROWS_WITH_AS(cli::Output(dir.path, cli::Content::Text, true), doctest::Contains("is a directory"), Error);
}

TEST_CASE("a file that appears while the program runs is not overwritten") {
  TempDir dir;
  std::string path = dir.path + "/race.txt";
  cli::Output out(path, cli::Content::Text, false);
  out.sink().write("mine", 4);
  std::ofstream(path) << "theirs";
  CHECK_THROWS_WITH_AS(out.commit(), doctest::Contains("already exists"), Error);
  CHECK(read_file(path) == "theirs");
}

TEST_CASE("inputs: missing files and directories are clear errors") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(cli::Input(dir.path + "/nope"), doctest::Contains("No such file"), Error);
  CHECK_THROWS_WITH_AS(cli::Input(dir.path), doctest::Contains("is a directory"), Error);
}

TEST_CASE("-o naming a FIFO or a device writes into it and leaves it in place") {
  TempDir dir;
  std::string fifo = dir.path + "/pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  {
    cli::Output out(fifo, cli::Content::Binary, false);  // no -f needed: nothing is replaced
    out.sink().write("through", 7);
    out.commit();
  }
  char got[16] = {};
  CHECK(::read(reader, got, sizeof got) == 7);
  CHECK(std::string(got) == "through");
  ::close(reader);
  struct stat st;
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(dir.entries() == std::vector<std::string>{"pipe"});  // no temporary file left beside it
}
