/*
 * pack: the signed pack file that carries a collection (or its changes
 * since a time) on removable media to an air-gapped server: its keys, its
 * framing, its signature and its verification.  Layer: lib/; depends on
 * libsodium (Ed25519, SHA-256) and jansson; never on the database (that is
 * packdb.c), microhttpd.h, server/, ingest/ or cli/; never prints.
 *
 * A pack (docs/pack.md has the byte-level format) is a magic line, then
 * records, each "J LEN\n" + LEN bytes of JSON + "\n" or "D LEN\n" + LEN raw
 * bytes + "\n", then a fixed-size trailer line
 *   "KWPACK-SIG 1 " FINGERPRINT " " SHA256 " " SIGNATURE "\n"
 * where SHA256 is the hex SHA-256 of every byte before the trailer,
 * FINGERPRINT the hex SHA-256 of the signer's Ed25519 public key, and
 * SIGNATURE the hex Ed25519 signature of the trailer up to and including
 * the space before it.  So one signature covers every byte before it, and
 * both sides stream: the writer hashes as it writes, the verifier reads
 * the trailer from the end and hashes the rest, and neither holds more
 * than one record in memory.
 *
 * Why a trailer of fixed size found from the end: a byte changed anywhere
 * in the content is reported as exactly that ("changed after it was
 * signed"), whatever it did to the framing, and a cut file has no trailer
 * to find ("truncated or unsigned").
 *
 * pack_open() verifies before anything reads a record, and pack_next()
 * hashes the bytes again as it hands records out, so the end of the
 * records is reported only when what was read is what was verified: a
 * file changed between the two reads fails at the end, before a caller
 * commits.  Every pointer argument is borrowed unless said otherwise.
 */
#ifndef KW_PACK_H
#define KW_PACK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PACK_MAGIC "KWPACK 1\n"
#define PACK_SIG_PREFIX "KWPACK-SIG 1 "
/* The trailer: prefix, fingerprint, space, content hash, space,
 * signature, newline. */
#define PACK_TRAILER_LEN (13 + 64 + 1 + 64 + 1 + 128 + 1)
/* Largest record accepted by the reader (a document's JSON with its
 * sections, or one blob). */
#define PACK_RECORD_MAX ((size_t)1 << 30)

struct pack_error {
    char msg[512];
};

/* err->msg from a printf format (truncated to fit). */
void pack_error_set(struct pack_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An Ed25519 key pair, or a public key alone (has_secret 0). */
struct pack_key {
    unsigned char pk[32];
    unsigned char sk[64];
    int has_secret;
    char fp[65]; /* hex SHA-256 of pk: the key's fingerprint */
};

/* A new random key pair into k.  0, or -1 when libsodium cannot start. */
int pack_key_generate(struct pack_key *k);
/* The text forms of the key files, one line each:
 * "kwpack-ed25519-secret BASE64(sk)\n" and "kwpack-ed25519-public
 * BASE64(pk)\n", into buf (n bytes, caller-owned, 128 are enough).
 * 0, or -1 when buf is too small or k has no secret. */
int pack_key_secret_text(const struct pack_key *k, char *buf, size_t n);
int pack_key_public_text(const struct pack_key *k, char *buf, size_t n);
/* Parse a key file's text (len bytes): either form; a secret key yields
 * its public half too.  0, or -1 with err->msg. */
int pack_key_parse(const char *text, size_t len, struct pack_key *k,
                   struct pack_error *err);
/* pack_key_parse of the file at path (a small regular file); the message
 * names the file.  0 or -1. */
int pack_key_load(const char *path, struct pack_key *k, struct pack_error *err);
/* Zero the secret half. */
void pack_key_wipe(struct pack_key *k);

/* A time as --since gives it: Unix seconds (digits only) or ISO 8601,
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" with an optional "Z" or
 * "+HH:MM"/"-HH:MM" (UTC when none); a space may stand for the T.
 * 0 with *t, or -1 when s is neither. */
int pack_parse_time(const char *s, int64_t *t);

/* ---- writing ---- */

struct pack_writer;

/* Start a pack at path: the bytes go to path.tmp (created or truncated,
 * mode 0644), renamed to path by pack_writer_finish.  0 with *out (new),
 * or -1 with err->msg. */
int pack_writer_open(const char *path, struct pack_writer **out,
                     struct pack_error *err);
/* Append a JSON record (rec borrowed; written compact, keys sorted) or a
 * data record of n bytes.  0, or -1 (the error is kept and reported by
 * pack_writer_finish). */
int pack_writer_json(struct pack_writer *w, const json_t *rec);
int pack_writer_data(struct pack_writer *w, const void *p, size_t n);
/* NULL while every write succeeded, else why the first failed
 * (borrowed, static text). */
const char *pack_writer_failed(const struct pack_writer *w);
/* Append the trailer signed with k (which must have its secret), flush,
 * fsync and rename into place.  w is freed in every case; on failure the
 * temporary file is removed.  0, or -1 with err->msg. */
int pack_writer_finish(struct pack_writer *w, const struct pack_key *k,
                       char sha256[65], struct pack_error *err);
/* Give up: remove the temporary file and free w (NULL is fine). */
void pack_writer_abort(struct pack_writer *w);

/* ---- reading ---- */

struct pack_reader;

/* Open and verify the pack at path against the trusted public keys
 * (trusted[0..ntrusted-1]): the magic line, the trailer, a trusted
 * signer, the signature, and the SHA-256 of every byte before the
 * trailer.  0 with *out (new, pack_close), or -1 with err->msg naming
 * what was wrong: not a pack, another version, truncated or unsigned, no
 * trusted keys, an untrusted signer, a bad signature, content changed
 * after it was signed. */
int pack_open(const char *path, const struct pack_key *trusted, size_t ntrusted,
              struct pack_reader **out, struct pack_error *err);
/* The verified signer's fingerprint and the content's hex SHA-256
 * (borrowed, valid until pack_close). */
const char *pack_signer(const struct pack_reader *r);
const char *pack_sha256(const struct pack_reader *r);
/* The next record: its type ('J' or 'D') in *type, its bytes in *buf
 * (borrowed, NUL-terminated, valid until the next call) and *len.  1 a
 * record; 0 no more records, and the bytes read hash to the verified
 * content hash; -1 with err->msg (bad framing, a read error, or content
 * that no longer matches what pack_open verified). */
int pack_next(struct pack_reader *r, char *type, const unsigned char **buf,
              size_t *len, struct pack_error *err);
void pack_close(struct pack_reader *r);

#endif
