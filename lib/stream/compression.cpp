#include "stream/compression.h"

#include <algorithm>

#include <zstd.h>

#include "error.h"
#include "stream/format.h"

namespace mm::stream {

Compressor::Compressor(int level) : level_(level), context_(ZSTD_createCCtx()) {
  if (!context_) throw Error("out of memory creating a zstd context");
  auto* cctx = static_cast<ZSTD_CCtx*>(context_);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);  // the record carries XXH3 of the raw payload
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
}

Compressor::~Compressor() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(context_)); }

bool Compressor::compress(const uint8_t* data, size_t size, std::vector<uint8_t>& out) {
  if (size < kMinCompressedPayload) return false;
  out.resize(ZSTD_compressBound(size));
  size_t n = ZSTD_compress2(static_cast<ZSTD_CCtx*>(context_), out.data(), out.size(), data, size);
  if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return n < size;
}

Decompressor::Decompressor() : context_(ZSTD_createDCtx()) {
  if (!context_) throw Error("out of memory creating a zstd context");
}

Decompressor::~Decompressor() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(context_)); }

void Decompressor::decompress(const uint8_t* data, size_t size, size_t expected, std::vector<uint8_t>& out) {
  auto* dctx = static_cast<ZSTD_DCtx*>(context_);
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  unsigned long long declared = ZSTD_getFrameContentSize(data, size);
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != expected)
    throw Error("compressed payload declares " + std::to_string(declared) + " bytes, the record " +
                std::to_string(expected));
  constexpr size_t kStep = 1 << 20;
  // When the declared size is plausible for this much input, decode in one shot, straight
  // into the output (no copy through zstd's window). Only extreme ratios, which a forged
  // size would need, take the growing path below.
  if (declared == expected && expected <= kStep + 256 * size) {
    size_t frame = ZSTD_findFrameCompressedSize(data, size);
    if (ZSTD_isError(frame)) throw Error(std::string("corrupt compressed payload: ") + ZSTD_getErrorName(frame));
    if (frame != size) throw Error("trailing bytes after the compressed payload");
    out.resize(expected);
    size_t n = ZSTD_decompressDCtx(dctx, out.data(), out.size(), data, size);
    if (ZSTD_isError(n)) throw Error(std::string("corrupt compressed payload: ") + ZSTD_getErrorName(n));
    if (n != expected)
      throw Error("payload decompresses to " + std::to_string(n) + " bytes, the record declares " +
                  std::to_string(expected));
    return;
  }
  out.resize(std::min(expected, std::max(kStep, size * 4)));
  ZSTD_inBuffer in{data, size, 0};
  ZSTD_outBuffer sink{out.data(), out.size(), 0};
  for (;;) {
    size_t ret = ZSTD_decompressStream(dctx, &sink, &in);
    if (ZSTD_isError(ret)) throw Error(std::string("corrupt compressed payload: ") + ZSTD_getErrorName(ret));
    if (ret == 0) break;  // frame complete
    if (sink.pos == sink.size) {
      if (sink.size >= expected + 1) break;  // produced more than declared; reported below
      out.resize(std::min(expected + 1, std::max(sink.size * 2, kStep)));
      sink.dst = out.data();
      sink.size = out.size();
    } else if (in.pos == in.size) {
      throw Error("compressed payload ends inside its frame");
    }
  }
  if (in.pos != in.size) throw Error("trailing bytes after the compressed payload");
  if (sink.pos != expected)
    throw Error("payload decompresses to " + std::string(sink.pos > expected ? "more than " : "") +
                std::to_string(sink.pos) + " bytes, the record declares " + std::to_string(expected));
  out.resize(expected);
}

}  // namespace mm::stream
