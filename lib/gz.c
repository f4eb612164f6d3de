/*
 * gz: one-shot gzip with zlib, and SHA-256 in hex via libsodium.
 * Layer: lib/; depends on zlib and libsodium.
 */
#include "gz.h"

#include <sodium.h>
#include <zlib.h>

#include "alloc.h"

int
gz_compress(const void *data, size_t len, int level, unsigned char **out,
            size_t *outlen)
{
    z_stream z = {0};
    unsigned char *buf;
    uLong bound;
    int rc;

    *out = NULL;
    /* windowBits 15 + 16 asks zlib for a gzip wrapper. */
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return -1;
    }
    bound = deflateBound(&z, (uLong)len) + 32;
    buf = kw_malloc(bound);
    if (buf == NULL) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        kw_free(buf);
        return -1;
    }
    *out = buf;
    *outlen = z.total_out;
    return 0;
}

void
sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(hex, 65, h, sizeof(h));
}
