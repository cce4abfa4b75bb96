// libFuzzer target: any bytes given to the reader end in records or a FormatError, never a
// crash, a hang or an allocation the input did not pay for.
#include <cstddef>
#include <cstdint>

#include "error.h"
#include "stream/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mm::stream::MemorySource source(data, size);
  mm::stream::Reader reader(source);
  try {
    while (reader.next() != mm::stream::Event::Eof) {
    }
  } catch (const mm::FormatError&) {
  }
  return 0;
}
