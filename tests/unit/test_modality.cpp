#include <doctest/doctest.h>

#include <string>

#include "media/modality.h"

using namespace mm::media;

TEST_CASE("modality from content first, then the name") {
  CHECK(detect_modality("x.txt", "\x89PNG\r\n\x1a\n....").modality == "image");
  CHECK(detect_modality("photo", "\xff\xd8\xff\xe0").modality == "image");
  CHECK(detect_modality("a.bin", std::string("RIFF\0\0\0\0WAVEfmt ", 16)).modality == "audio");
  CHECK(detect_modality("a.bin", std::string("\0\0\0\x18" "ftypisom", 12)).modality == "video");
  CHECK(detect_modality("a.c", "int main() {}\n").modality == "code");
  CHECK(detect_modality("a.c", "int main() {}\n").language == "c");
  CHECK(detect_modality("src/x.hpp", "#pragma once\n").language == "c++");
  CHECK(detect_modality("notes", "plain words\n").modality == "text");
  CHECK(detect_modality("BMW.txt", "BMW makes cars, and this line is long enough").modality == "text");
  CHECK(detect_modality("clip.mkv", "").modality == "video");
  CHECK(detect_modality("blob", std::string("\x01\x02\x00\x03", 4)).modality.empty());
}

TEST_CASE("text detection tolerates a stray byte and a cut sequence, not binary") {
  CHECK(looks_like_text("caf\xc3\xa9 au lait"));
  CHECK(looks_like_text("caf\xc3"));  // cut at the end of the sample
  std::string latin1(300, 'a');
  latin1[10] = '\xe9';
  CHECK(looks_like_text(latin1));
  CHECK_FALSE(looks_like_text(std::string("a\0b", 3)));
  CHECK_FALSE(looks_like_text("\xff\xfe\xfd\xfc\xfb\xfa"));
}

TEST_CASE("languages and their extensions") {
  CHECK(language_of("a/b/main.py") == "python");
  CHECK(language_of("README") == "");
  CHECK(language_of("dir.cpp/README") == "");
  CHECK(extension_of_language("c++") == ".cpp");
  CHECK(extension_of_language("rust") == ".rs");
  CHECK(extension_of_language("") == ".txt");
}
