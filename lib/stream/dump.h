// The text form of a stream (mmt(5), "TEXT FORM"): lossless, editable by hand, and packed
// back into a byte-identical stream by pack().
#pragma once

#include "stream/io.h"
#include "stream/reader.h"

namespace mm::stream {

// Writes every record of `reader`'s stream as text. Throws FormatError on a fault.
void dump(Reader& reader, Sink& text);

// Parses the text form and writes the stream. Throws mm::Error with the line number.
void pack(Source& text, Sink& out);

}  // namespace mm::stream
