#include "cli/bundle.h"

#include <cstdlib>
#include <filesystem>

#include "error.h"

namespace mm::cli {

std::string find_bundle(const std::string& requested) {
  namespace fs = std::filesystem;
  auto is_bundle = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "config.json", ec);
  };
  if (!requested.empty()) {
    if (!is_bundle(requested)) throw Error(requested + ": not a model bundle (no config.json)");
    return requested;
  }
  if (const char* env = std::getenv("MM_BUNDLE"); env && *env) {
    if (!is_bundle(env)) throw Error(std::string("MM_BUNDLE=") + env + ": not a model bundle (no config.json)");
    return env;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec).parent_path();
  std::string looked;
  for (const fs::path& candidate : {exe / "../share/mm/models/default", exe / "../../models/default"}) {
    if (is_bundle(candidate)) return fs::weakly_canonical(candidate, ec).string();
    looked += " " + candidate.lexically_normal().string();
  }
  throw Error("no model bundle found (looked in" + looked + "); give --bundle DIR or set MM_BUNDLE");
}

}  // namespace mm::cli
