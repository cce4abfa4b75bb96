// Where the model bundle is: --bundle, else $MM_BUNDLE, else the default bundle beside the
// programs (installed: PREFIX/share/mm/models/default; in a build tree: models/default).
#pragma once

#include <string>

namespace mm::cli {

// Throws mm::Error listing the places it looked when there is none.
std::string find_bundle(const std::string& requested);

}  // namespace mm::cli
