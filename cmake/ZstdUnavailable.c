/* The zstd functions LLVM's Support library refers to
 * (llvm/lib/Support/Compression.cpp), for the portable build, which has no
 * static zstd to link: every call fails with "zstd is not available in the
 * portable frond". Frond never compresses or decompresses with LLVM, so
 * none of them runs; they only satisfy the linker. */
#include <stddef.h>

static const size_t kError = (size_t)-1;

size_t ZSTD_compressBound(size_t n) { return n + (n >> 7) + 64; }
int ZSTD_isError(size_t code) { return code == kError; }
const char *ZSTD_getErrorName(size_t code) {
  (void)code;
  return "zstd is not available in the portable frond";
}
void *ZSTD_createCCtx(void) { return NULL; }
size_t ZSTD_freeCCtx(void *cctx) {
  (void)cctx;
  return 0;
}
size_t ZSTD_CCtx_setParameter(void *cctx, int param, int value) {
  (void)cctx, (void)param, (void)value;
  return kError;
}
size_t ZSTD_compress2(void *cctx, void *dst, size_t dstCapacity, const void *src,
                      size_t srcSize) {
  (void)cctx, (void)dst, (void)dstCapacity, (void)src, (void)srcSize;
  return kError;
}
size_t ZSTD_decompress(void *dst, size_t dstCapacity, const void *src, size_t srcSize) {
  (void)dst, (void)dstCapacity, (void)src, (void)srcSize;
  return kError;
}
