// Writes a stream with libmm and reads it back: proof that the installed headers, library
// and package files are enough.
#include <mm/stream/reader.h>
#include <mm/stream/segment.h>
#include <mm/stream/writer.h>
#include <mm/version.h>

#include <cstdio>

int main() {
  mm::stream::MemorySink sink;
  mm::stream::Writer writer(sink);
  writer.begin_segment(mm::stream::segment_metadata("text", "bytes", 256));
  writer.tokens(std::vector<uint32_t>{111, 107});
  writer.end_segment();
  writer.finish();
  mm::stream::MemorySource source(sink.bytes().data(), sink.bytes().size());
  mm::stream::Reader reader(source);
  size_t tokens = 0;
  for (mm::stream::Event e; (e = reader.next()) != mm::stream::Event::Eof;)
    if (e == mm::stream::Event::Tokens) tokens += reader.tokens().size();
  std::printf("libmm %s: %zu tokens in %zu bytes\n", MM_VERSION, tokens, sink.bytes().size());
  return tokens == 2 ? 0 : 1;
}
