/*
 * pack: keys, framing, signing and verification of pack files (see
 * pack.h and docs/pack.md).  Layer: lib/; depends on libsodium, jansson
 * and libc; never on the database, microhttpd.h, server/, ingest/ or cli/;
 * never prints.
 */
#include "pack.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define SECRET_TAG "kwpack-ed25519-secret "
#define PUBLIC_TAG "kwpack-ed25519-public "
/* The signed part of the trailer: prefix, fingerprint, space, hash,
 * space. */
#define SIGNED_LEN (13 + 64 + 1 + 64 + 1)

_Static_assert(crypto_sign_PUBLICKEYBYTES == 32, "Ed25519 public key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == 64, "Ed25519 secret key size");
_Static_assert(crypto_sign_BYTES == 64, "Ed25519 signature size");
_Static_assert(sizeof(PACK_SIG_PREFIX) - 1 == 13, "trailer prefix size");

void
pack_error_set(struct pack_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* fp = hex SHA-256 of the public key. */
static void
key_fingerprint(struct pack_key *k)
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, k->pk, sizeof(k->pk));
    sodium_bin2hex(k->fp, sizeof(k->fp), h, sizeof(h));
}

int
pack_key_generate(struct pack_key *k)
{
    memset(k, 0, sizeof(*k));
    if (sodium_init() < 0) {
        return -1;
    }
    crypto_sign_keypair(k->pk, k->sk);
    k->has_secret = 1;
    key_fingerprint(k);
    return 0;
}

/* TAG BASE64(p, n) "\n" into buf. */
static int
key_text(const char *tag, const unsigned char *p, size_t n, char *buf,
         size_t cap)
{
    size_t tl = strlen(tag),
           bl = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);

    if (cap < tl + bl + 1) {
        return -1;
    }
    memcpy(buf, tag, tl);
    sodium_bin2base64(buf + tl, bl, p, n, sodium_base64_VARIANT_ORIGINAL);
    strcat(buf, "\n");
    return 0;
}

int
pack_key_secret_text(const struct pack_key *k, char *buf, size_t n)
{
    if (!k->has_secret) {
        return -1;
    }
    return key_text(SECRET_TAG, k->sk, sizeof(k->sk), buf, n);
}

int
pack_key_public_text(const struct pack_key *k, char *buf, size_t n)
{
    return key_text(PUBLIC_TAG, k->pk, sizeof(k->pk), buf, n);
}

int
pack_key_parse(const char *text, size_t len, struct pack_key *k,
               struct pack_error *err)
{
    unsigned char raw[64];
    size_t got, want, tl;
    const char *tag;
    int secret;

    memset(k, 0, sizeof(*k));
    if (sodium_init() < 0) {
        pack_error_set(err, "libsodium cannot start");
        return -1;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
                       text[len - 1] == ' ' || text[len - 1] == '\t')) {
        len--;
    }
    secret = len > strlen(SECRET_TAG) &&
             memcmp(text, SECRET_TAG, strlen(SECRET_TAG)) == 0;
    tag = secret ? SECRET_TAG : PUBLIC_TAG;
    tl = strlen(tag);
    want = secret ? sizeof(k->sk) : sizeof(k->pk);
    if (len <= tl || memcmp(text, tag, tl) != 0) {
        pack_error_set(
            err,
            "not a pack key (a key file is one line, '%s' or '%s' and "
            "base64)",
            "kwpack-ed25519-secret", "kwpack-ed25519-public");
        return -1;
    }
    if (sodium_base642bin(raw, sizeof(raw), text + tl, len - tl, NULL, &got,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != want) {
        pack_error_set(err, "damaged %s key: its base64 is not %s bytes",
                       secret ? "secret" : "public", secret ? "64" : "32");
        sodium_memzero(raw, sizeof(raw));
        return -1;
    }
    if (secret) {
        memcpy(k->sk, raw, sizeof(k->sk));
        crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
        k->has_secret = 1;
    } else {
        memcpy(k->pk, raw, sizeof(k->pk));
    }
    sodium_memzero(raw, sizeof(raw));
    key_fingerprint(k);
    return 0;
}

int
pack_key_load(const char *path, struct pack_key *k, struct pack_error *err)
{
    char text[1024];
    struct pack_error e;
    size_t n;
    FILE *f;

    memset(k, 0, sizeof(*k));
    f = fopen(path, "rb");
    if (f == NULL) {
        pack_error_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    n = fread(text, 1, sizeof(text), f);
    if (ferror(f) || n == sizeof(text)) {
        pack_error_set(err, "%s: %s", path,
                       ferror(f) ? strerror(errno) : "too long for a key file");
        fclose(f);
        sodium_memzero(text, sizeof(text));
        return -1;
    }
    fclose(f);
    if (pack_key_parse(text, n, k, &e) < 0) {
        pack_error_set(err, "%s: %s", path, e.msg);
        sodium_memzero(text, sizeof(text));
        return -1;
    }
    sodium_memzero(text, sizeof(text));
    return 0;
}

void
pack_key_wipe(struct pack_key *k)
{
    sodium_memzero(k->sk, sizeof(k->sk));
    k->has_secret = 0;
}

/* n decimal digits at *s into *v; advances *s.  1 or 0. */
static int
digits(const char **s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9') {
            return 0;
        }
        *v = *v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    return 1;
}

int
pack_parse_time(const char *s, int64_t *t)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
    const char *p = s;
    size_t n = strlen(s);
    time_t v;

    if (n > 0 && n <= 18 && strspn(s, "0123456789") == n) {
        *t = strtoll(s, NULL, 10);
        return 0;
    }
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
        *p++ != '-' || !digits(&p, 2, &d)) {
        return -1;
    }
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) {
            return -1;
        }
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec)) {
                return -1;
            }
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (!digits(&p, 2, &oh)) {
            return -1;
        }
        if (*p == ':') {
            p++;
        }
        if (!digits(&p, 2, &om) || oh > 23 || om > 59) {
            return -1;
        }
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60) {
        return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    v = timegm(&tm);
    /* timegm normalises 31 February to March: refuse such a date. */
    if (tm.tm_mday != d || tm.tm_mon != mo - 1) {
        return -1;
    }
    *t = (int64_t)v - (int64_t)sign * (oh * 3600 + om * 60);
    return 0;
}

/* ---- writing ---- */

struct pack_writer {
    FILE *f;
    char *path;
    char *tmp;
    crypto_hash_sha256_state h;
    int err; /* errno of the first failed write, or -1 out of memory */
};

/* Write and hash n bytes. */
static int
wput(struct pack_writer *w, const void *p, size_t n)
{
    if (w->err != 0) {
        return -1;
    }
    if (n > 0 && fwrite(p, 1, n, w->f) != n) {
        w->err = errno != 0 ? errno : EIO;
        return -1;
    }
    crypto_hash_sha256_update(&w->h, p, n);
    return 0;
}

/* A record: "T LEN\n", the bytes, "\n". */
static int
wrecord(struct pack_writer *w, char type, const void *p, size_t n)
{
    char head[32];
    int hl = snprintf(head, sizeof(head), "%c %zu\n", type, n);

    if (wput(w, head, (size_t)hl) < 0 || wput(w, p, n) < 0 ||
        wput(w, "\n", 1) < 0) {
        return -1;
    }
    return 0;
}

static void
writer_free(struct pack_writer *w)
{
    if (w->f != NULL) {
        fclose(w->f);
    }
    kw_free(w->path);
    kw_free(w->tmp);
    kw_free(w);
}

int
pack_writer_open(const char *path, struct pack_writer **out,
                 struct pack_error *err)
{
    struct pack_writer *w;
    size_t n = strlen(path);
    int fd;

    *out = NULL;
    if (sodium_init() < 0) {
        pack_error_set(err, "libsodium cannot start");
        return -1;
    }
    w = kw_calloc(1, sizeof(*w));
    if (w == NULL || (w->path = kw_strdup(path)) == NULL ||
        (w->tmp = kw_malloc(n + 5)) == NULL) {
        pack_error_set(err, "out of memory");
        goto fail;
    }
    snprintf(w->tmp, n + 5, "%s.tmp", path);
    fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
              0644);
    if (fd < 0 || (w->f = fdopen(fd, "wb")) == NULL) {
        pack_error_set(err, "%s: %s", w->tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        goto fail;
    }
    crypto_hash_sha256_init(&w->h);
    if (wput(w, PACK_MAGIC, strlen(PACK_MAGIC)) < 0) {
        pack_error_set(err, "%s: %s", w->tmp, strerror(w->err));
        pack_writer_abort(w);
        return -1;
    }
    *out = w;
    return 0;
fail:
    if (w != NULL) {
        writer_free(w);
    }
    return -1;
}

int
pack_writer_json(struct pack_writer *w, const json_t *rec)
{
    char *text;
    int rc;

    if (w->err != 0) {
        return -1;
    }
    text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        w->err = -1;
        return -1;
    }
    rc = wrecord(w, 'J', text, strlen(text));
    free(text);
    return rc;
}

int
pack_writer_data(struct pack_writer *w, const void *p, size_t n)
{
    return wrecord(w, 'D', p, n);
}

const char *
pack_writer_failed(const struct pack_writer *w)
{
    if (w->err == 0) {
        return NULL;
    }
    return w->err < 0 ? "out of memory" : strerror(w->err);
}

int
pack_writer_finish(struct pack_writer *w, const struct pack_key *k,
                   char sha256[65], struct pack_error *err)
{
    unsigned char h[crypto_hash_sha256_BYTES], sig[crypto_sign_BYTES];
    char trailer[PACK_TRAILER_LEN + 1], hex[65];
    FILE *f;

    if (!k->has_secret) {
        pack_error_set(err, "the signing key has no secret half");
        pack_writer_abort(w);
        return -1;
    }
    if (w->err != 0) {
        pack_error_set(err, "%s: %s", w->tmp,
                       w->err < 0 ? "out of memory" : strerror(w->err));
        pack_writer_abort(w);
        return -1;
    }
    crypto_hash_sha256_final(&w->h, h);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(trailer, sizeof(trailer), "%s%s %s ", PACK_SIG_PREFIX, k->fp, hex);
    crypto_sign_detached(sig, NULL, (const unsigned char *)trailer, SIGNED_LEN,
                         k->sk);
    sodium_bin2hex(trailer + SIGNED_LEN, sizeof(trailer) - SIGNED_LEN, sig,
                   sizeof(sig));
    trailer[PACK_TRAILER_LEN - 1] = '\n';
    trailer[PACK_TRAILER_LEN] = '\0';
    f = w->f;
    w->f = NULL;
    if (fwrite(trailer, 1, PACK_TRAILER_LEN, f) != PACK_TRAILER_LEN ||
        fflush(f) != 0 || fsync(fileno(f)) != 0) {
        pack_error_set(err, "%s: %s", w->tmp, strerror(errno));
        fclose(f);
        pack_writer_abort(w);
        return -1;
    }
    if (fclose(f) != 0 || rename(w->tmp, w->path) != 0) {
        pack_error_set(err, "%s: %s", w->path, strerror(errno));
        pack_writer_abort(w);
        return -1;
    }
    if (sha256 != NULL) {
        memcpy(sha256, hex, sizeof(hex));
    }
    writer_free(w);
    return 0;
}

void
pack_writer_abort(struct pack_writer *w)
{
    if (w == NULL) {
        return;
    }
    if (w->f != NULL) {
        fclose(w->f);
        w->f = NULL;
    }
    unlink(w->tmp);
    writer_free(w);
}

/* ---- reading ---- */

struct pack_reader {
    FILE *f;
    off_t content_len; /* bytes before the trailer */
    off_t pos;         /* bytes read and hashed by pack_next */
    char signer[65];
    char sha[65];
    crypto_hash_sha256_state h;
    unsigned char *buf;
    size_t cap;
};

/* 1 when s holds n lowercase hex digits. */
static int
is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* The trailer at the end of the file: the fingerprint and content hash it
 * names into r, its signature into sig, its signed part into msg.  0, or
 * -1 when there is none. */
static int
read_trailer(struct pack_reader *r, unsigned char sig[64], char msg[SIGNED_LEN])
{
    char t[PACK_TRAILER_LEN];
    const char *p = t + strlen(PACK_SIG_PREFIX);

    if (fseeko(r->f, r->content_len, SEEK_SET) != 0 ||
        fread(t, 1, sizeof(t), r->f) != sizeof(t)) {
        return -1;
    }
    if (memcmp(t, PACK_SIG_PREFIX, strlen(PACK_SIG_PREFIX)) != 0 ||
        !is_hex(p, 64) || p[64] != ' ' || !is_hex(p + 65, 64) ||
        p[129] != ' ' || !is_hex(p + 130, 128) ||
        t[PACK_TRAILER_LEN - 1] != '\n') {
        return -1;
    }
    memcpy(r->signer, p, 64);
    r->signer[64] = '\0';
    memcpy(r->sha, p + 65, 64);
    r->sha[64] = '\0';
    memcpy(msg, t, SIGNED_LEN);
    return sodium_hex2bin(sig, 64, p + 130, 128, NULL, NULL, NULL) == 0 ? 0
                                                                        : -1;
}

/* The hex SHA-256 of the content (every byte before the trailer) into
 * hex.  0, or -1 on a read error. */
static int
hash_content(struct pack_reader *r, char hex[65])
{
    unsigned char chunk[65536], h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    off_t left = r->content_len;

    if (fseeko(r->f, 0, SEEK_SET) != 0) {
        return -1;
    }
    crypto_hash_sha256_init(&st);
    while (left > 0) {
        size_t want =
            left < (off_t)sizeof(chunk) ? (size_t)left : sizeof(chunk);

        if (fread(chunk, 1, want, r->f) != want) {
            return -1;
        }
        crypto_hash_sha256_update(&st, chunk, want);
        left -= (off_t)want;
    }
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof(h));
    return 0;
}

/* Every check of pack_open on the open file r->f.  0 or -1. */
static int
verify(struct pack_reader *r, off_t size, const struct pack_key *trusted,
       size_t ntrusted, struct pack_error *err)
{
    unsigned char sig[64];
    char magic[sizeof(PACK_MAGIC) - 1], msg[SIGNED_LEN], hex[65];
    size_t got, i;

    got = fread(magic, 1, sizeof(magic), r->f);
    if (got < sizeof(magic) || memcmp(magic, PACK_MAGIC, sizeof(magic)) != 0) {
        if (got >= 7 && memcmp(magic, "KWPACK ", 7) == 0 &&
            (got < sizeof(magic) || magic[7] != '1')) {
            pack_error_set(
                err,
                "unsupported pack version (this program reads version "
                "%s)",
                "1");
        } else {
            pack_error_set(err, "not a pack file (no '%s' line at the start)",
                           "KWPACK 1");
        }
        return -1;
    }
    r->content_len = size - PACK_TRAILER_LEN;
    if (size < (off_t)(sizeof(magic) + PACK_TRAILER_LEN) ||
        read_trailer(r, sig, msg) < 0) {
        pack_error_set(err,
                       "truncated or unsigned: no signature trailer at the end "
                       "(%s... line)",
                       "KWPACK-SIG");
        return -1;
    }
    if (ntrusted == 0) {
        pack_error_set(
            err,
            "no trusted keys to check the signature with (give --trust "
            "FILE.pub or set %s)",
            "pack_trusted_keys");
        return -1;
    }
    for (i = 0; i < ntrusted; i++) {
        if (strcmp(trusted[i].fp, r->signer) == 0) {
            break;
        }
    }
    if (i == ntrusted) {
        pack_error_set(err,
                       "untrusted signer: key %s is not among the trusted keys",
                       r->signer);
        return -1;
    }
    if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, SIGNED_LEN,
                                    trusted[i].pk) != 0) {
        pack_error_set(
            err,
            "bad signature: the trailer does not verify with trusted key "
            "%s",
            r->signer);
        return -1;
    }
    if (hash_content(r, hex) < 0) {
        pack_error_set(err, "read error: %s", strerror(errno));
        return -1;
    }
    if (strcmp(hex, r->sha) != 0) {
        pack_error_set(
            err,
            "content changed after it was signed: its SHA-256 is %s, the "
            "signature covers %s",
            hex, r->sha);
        return -1;
    }
    return 0;
}

int
pack_open(const char *path, const struct pack_key *trusted, size_t ntrusted,
          struct pack_reader **out, struct pack_error *err)
{
    struct pack_reader *r;
    struct stat sb;
    int fd;

    *out = NULL;
    if (sodium_init() < 0) {
        pack_error_set(err, "libsodium cannot start");
        return -1;
    }
    r = kw_calloc(1, sizeof(*r));
    if (r == NULL) {
        pack_error_set(err, "out of memory");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        pack_error_set(err, "%s", strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        pack_error_set(err, "not a regular file");
        goto fail;
    }
    if ((r->f = fdopen(fd, "rb")) == NULL) {
        pack_error_set(err, "%s", strerror(errno));
        goto fail;
    }
    if (verify(r, sb.st_size, trusted, ntrusted, err) < 0) {
        pack_close(r);
        return -1;
    }
    /* Records are read again from the start, hashed again as they go. */
    if (fseeko(r->f, 0, SEEK_SET) != 0) {
        pack_error_set(err, "read error: %s", strerror(errno));
        pack_close(r);
        return -1;
    }
    crypto_hash_sha256_init(&r->h);
    *out = r;
    return 0;
fail:
    if (fd >= 0) {
        close(fd);
    }
    kw_free(r);
    return -1;
}

const char *
pack_signer(const struct pack_reader *r)
{
    return r->signer;
}

const char *
pack_sha256(const struct pack_reader *r)
{
    return r->sha;
}

/* Read and hash exactly n bytes into p. */
static int
rget(struct pack_reader *r, void *p, size_t n)
{
    if (r->pos + (off_t)n > r->content_len || fread(p, 1, n, r->f) != n) {
        return -1;
    }
    crypto_hash_sha256_update(&r->h, p, n);
    r->pos += (off_t)n;
    return 0;
}

int
pack_next(struct pack_reader *r, char *type, const unsigned char **buf,
          size_t *len, struct pack_error *err)
{
    char head[32], at[32], kind;
    size_t i, n = 0;

    snprintf(at, sizeof(at), "%lld", (long long)r->pos);
    if (r->pos == 0 && (rget(r, head, strlen(PACK_MAGIC)) < 0 ||
                        memcmp(head, PACK_MAGIC, strlen(PACK_MAGIC)) != 0)) {
        pack_error_set(err, "the pack changed while it was read (at byte %s)",
                       at);
        return -1;
    }
    if (r->pos == r->content_len) {
        unsigned char h[crypto_hash_sha256_BYTES];
        char hex[65];

        crypto_hash_sha256_final(&r->h, h);
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        if (strcmp(hex, r->sha) != 0) {
            pack_error_set(err,
                           "the pack changed while it was read: its content no "
                           "longer hashes to %s",
                           r->sha);
            return -1;
        }
        return 0;
    }
    snprintf(at, sizeof(at), "%lld", (long long)r->pos);
    for (i = 0; i < sizeof(head) - 1; i++) {
        if (rget(r, head + i, 1) < 0) {
            break;
        }
        if (head[i] == '\n') {
            break;
        }
    }
    if (i < 3 || i == sizeof(head) - 1 || head[i] != '\n' ||
        (head[0] != 'J' && head[0] != 'D') || head[1] != ' ' ||
        strspn(head + 2, "0123456789") != i - 2) {
        pack_error_set(err, "bad record header at byte %s", at);
        return -1;
    }
    head[i] = '\0';
    kind = head[0];
    n = (size_t)strtoull(head + 2, NULL, 10);
    if (i - 2 > 12 || n > PACK_RECORD_MAX ||
        r->pos + (off_t)n + 1 > r->content_len) {
        pack_error_set(err, "record at byte %s is longer than the pack", at);
        return -1;
    }
    if (n + 1 > r->cap) {
        unsigned char *nb = kw_realloc(r->buf, n + 1);

        if (nb == NULL) {
            pack_error_set(err, "out of memory for the record at byte %s", at);
            return -1;
        }
        r->buf = nb;
        r->cap = n + 1;
    }
    if (rget(r, r->buf, n) < 0 || rget(r, head, 1) < 0 || head[0] != '\n') {
        pack_error_set(err, "record at byte %s does not end with a newline",
                       at);
        return -1;
    }
    r->buf[n] = '\0';
    *type = kind;
    *buf = r->buf;
    *len = n;
    return 1;
}

void
pack_close(struct pack_reader *r)
{
    if (r == NULL) {
        return;
    }
    if (r->f != NULL) {
        fclose(r->f);
    }
    kw_free(r->buf);
    kw_free(r);
}
