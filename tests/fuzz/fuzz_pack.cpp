// libFuzzer target for the text form's parser (mm-inspect --pack): any text ends in a
// stream that reads back cleanly, or in an mm::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "error.h"
#include "stream/dump.h"
#include "stream/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mm::stream::MemorySource text(data, size);
  mm::stream::MemorySink out;
  try {
    mm::stream::pack(text, out);
  } catch (const mm::Error&) {
    return 0;
  }
  // What pack accepted, the reader must accept too.
  mm::stream::MemorySource packed(out.bytes().data(), out.bytes().size());
  mm::stream::Reader reader(packed);
  try {
    while (reader.next() != mm::stream::Event::Eof) {
    }
  } catch (const mm::FormatError&) {
    std::abort();
  }
  return 0;
}
