// Which modality a file holds, from its name and its first bytes, before any decoder runs.
#pragma once

#include <string>
#include <string_view>

namespace mm::media {

struct Detected {
  std::string modality;  // text, code, image, video, audio; empty when unknown
  std::string language;  // for code: "c++", "python", ...
};

// `head`: the first bytes of the content (a few KiB are enough).
Detected detect_modality(const std::string& path, std::string_view head);

// The programming language a file name implies, or "" when it implies none.
std::string language_of(const std::string& path);

// The usual file extension for a language ("c++" -> ".cpp"), or ".txt".
std::string extension_of_language(const std::string& language);

// Whether `bytes` reads as text: UTF-8 almost everywhere and no NUL bytes. A sequence cut
// at the end of `bytes` does not count against it.
bool looks_like_text(std::string_view bytes);

}  // namespace mm::media
