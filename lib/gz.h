/*
 * gz: gzip compression of whole buffers, done once per body (static files
 * at start, renditions at publish).  Layer: lib/; depends on zlib.
 */
#ifndef KW_GZ_H
#define KW_GZ_H

#include <stddef.h>

/* Bodies below this size are never compressed: the gzip header and an
 * extra header cost more than they save. */
#define GZ_MIN_SIZE 256

/* gzip `len` bytes at `level` (1-9) into a new buffer (kw_free).
 * 0, or -1. */
int gz_compress(const void *data, size_t len, int level, unsigned char **out,
                size_t *outlen);
/* Hex SHA-256 of data into hex[65]. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
