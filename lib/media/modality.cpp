#include "media/modality.h"

#include <algorithm>
#include <cstring>

namespace mm::media {

namespace {

struct Extension {
  const char* extension;
  const char* modality;
  const char* language;
};

constexpr Extension kExtensions[] = {
    {".c", "code", "c"},          {".h", "code", "c"},          {".cpp", "code", "c++"},
    {".cc", "code", "c++"},      {".cxx", "code", "c++"},      {".hpp", "code", "c++"},
    {".hh", "code", "c++"},       {".py", "code", "python"},    {".rs", "code", "rust"},
    {".go", "code", "go"},        {".java", "code", "java"},    {".js", "code", "javascript"},
    {".ts", "code", "typescript"}, {".sh", "code", "shell"},    {".rb", "code", "ruby"},
    {".cmake", "code", "cmake"},  {".sql", "code", "sql"},      {".cs", "code", "c#"},
    {".kt", "code", "kotlin"},    {".swift", "code", "swift"},  {".lua", "code", "lua"},
    {".pl", "code", "perl"},      {".hs", "code", "haskell"},   {".json", "code", "json"},
    {".yaml", "code", "yaml"},    {".yml", "code", "yaml"},     {".toml", "code", "toml"},
    {".html", "code", "html"},    {".css", "code", "css"},      {".svg", "code", "svg"},
    {".txt", "text", ""},         {".md", "text", ""},          {".rst", "text", ""},
    {".png", "image", ""},        {".jpg", "image", ""},        {".jpeg", "image", ""},
    {".webp", "image", ""},       {".bmp", "image", ""},        {".tif", "image", ""},
    {".tiff", "image", ""},       {".gif", "image", ""},        {".ppm", "image", ""},
    {".mp4", "video", ""},        {".mkv", "video", ""},        {".webm", "video", ""},
    {".avi", "video", ""},        {".mov", "video", ""},        {".mjpeg", "video", ""},
    {".wav", "audio", ""},        {".flac", "audio", ""},       {".ogg", "audio", ""},
    {".mp3", "audio", ""},        {".m4a", "audio", ""},        {".aac", "audio", ""},
    {".opus", "audio", ""},
};

const Extension* find_extension(const std::string& path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return nullptr;
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const auto& e : kExtensions)
    if (ext == e.extension) return &e;
  return nullptr;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "BM" alone is too weak (text can start with it): check the DIB header's size field too.
bool is_bmp(std::string_view head) {
  if (!starts_with(head, "BM") || head.size() < 18) return false;
  unsigned char size = head[14];
  return (size == 12 || size == 40 || size == 52 || size == 56 || size == 108 || size == 124) && head[15] == 0 &&
         head[16] == 0 && head[17] == 0;
}

}  // namespace

std::string language_of(const std::string& path) {
  const Extension* e = find_extension(path);
  return e && std::strcmp(e->modality, "code") == 0 ? e->language : "";
}

std::string extension_of_language(const std::string& language) {
  for (const auto& e : kExtensions)
    if (language == e.language && std::strcmp(e.modality, "code") == 0) return e.extension;
  return ".txt";
}

bool looks_like_text(std::string_view bytes) {
  size_t invalid = 0;
  for (size_t i = 0; i < bytes.size();) {
    unsigned char c = bytes[i];
    if (c == 0) return false;
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0) {
      ++invalid;
      ++i;
      continue;
    }
    if (i + len > bytes.size()) break;  // cut at the end of the sample
    bool ok = true;
    for (size_t k = 1; k < len; ++k) ok &= (static_cast<unsigned char>(bytes[i + k]) >> 6) == 2;
    if (!ok) {
      ++invalid;
      ++i;
      continue;
    }
    i += len;
  }
  return invalid * 100 <= bytes.size();  // a stray Latin-1 byte or two is still text
}

Detected detect_modality(const std::string& path, std::string_view head) {
  // Content first where it is unambiguous: a .txt that holds a PNG is an image.
  if (starts_with(head, "\x89PNG\r\n\x1a\n") || starts_with(head, "\xff\xd8\xff") || starts_with(head, "GIF8") ||
      is_bmp(head) || (starts_with(head, "RIFF") && head.substr(8, 4) == "WEBP"))
    return {"image", ""};
  if (starts_with(head, "RIFF") && head.substr(8, 4) == "WAVE") return {"audio", ""};
  if (starts_with(head, "RIFF") && head.substr(8, 4) == "AVI ") return {"video", ""};
  if (starts_with(head, "fLaC") || starts_with(head, "OggS") || starts_with(head, "ID3")) return {"audio", ""};
  if (head.size() >= 8 && head.substr(4, 4) == "ftyp") return {"video", ""};
  if (starts_with(head, "\x1a\x45\xdf\xa3")) return {"video", ""};  // Matroska, WebM
  if (const Extension* e = find_extension(path); e && std::strcmp(e->modality, "code") == 0 && looks_like_text(head))
    return {"code", e->language};
  if (const Extension* e = find_extension(path); e && std::strcmp(e->modality, "text") != 0 &&
                                                 std::strcmp(e->modality, "code") != 0)
    return {e->modality, ""};
  if (looks_like_text(head)) return {"text", ""};
  return {"", ""};
}

}  // namespace mm::media
