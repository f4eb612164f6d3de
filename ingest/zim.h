/*
 * zim: ZIM archives (Kiwix's format, openzim.org) into ingest.  Layer:
 * ingest/; uses lib/ (alloc, strbuf, url, html, policy), ingest/fetch (the
 * tree layout and its records), libzstd and liblzma; never the database,
 * microhttpd.h or server/.  Never prints or exits.
 *
 * The entries are read by `zimdump` (zim-tools) in a child process, run
 * with an argv and no shell: `zimdump list --details` for the directory
 * (path, title, item or redirect, MIME type, size) and `zimdump dump` for
 * the bytes, into a hidden directory of the destination; an entry that is
 * missing after the dump, and every entry when some path in the archive
 * is unsafe, is read alone with `zimdump show --idx=N`.  Why a child
 * process and not libzim: libzim is C++, and the binary stays C; the time
 * is the same (docs/benchmarks.md, "ZIM: zimdump or libzim").  zimdump
 * 3.1 cannot read the metadata of a ZIM with the new namespace scheme
 * (libzim 7 and later), so the few metadata entries (M/Title, M/Language,
 * M/Source, M/Date, M/Creator, M/Publisher, M/Name, M/Description) are read
 * here from the archive itself: the header, the sorted directory and one
 * cluster each, inflated by zstd or xz up to the entry's end, with every
 * offset checked against the file's size.
 *
 * The archive is hostile input.  Before anything is stored: the header's
 * magic and version, and that the file is as long as the header says (a
 * truncated ZIM is refused); zimdump failing is an error with its first
 * line of stderr.  Per entry: a path that is absolute, has a "." or ".."
 * segment, an empty segment, control bytes or invalid UTF-8 is an error
 * with that reason and nothing of it is written; an item larger than
 * max_bytes is an error ("too large"); the sum of the items' sizes above
 * max_total refuses the whole archive before the dump.
 *
 * What each entry becomes (a fetch_record each, in directory order, like
 * a WARC capture: fetch.h): an item of the content namespace (the new
 * scheme's C; the old scheme's A, I, J and -, kept as a top directory so
 * the articles' "../I/x.png" links still resolve) is saved at the path for
 * its URL, base + path (fetch_save: an extension is added when the MIME
 * type says HTML and the name lacks one), with the Date metadata as its
 * retrieval time and its MIME type as Content-Type; entries of other
 * namespaces (metadata, indexes) are skipped with the reason; a redirect
 * becomes a zim_alias from its path to its final target's saved path.
 */
#ifndef KW_ZIM_H
#define KW_ZIM_H

#include <stddef.h>

#include "fetch.h"

struct policy;

/* The largest value of one metadata entry kept (longer ones are cut). */
#define ZIM_META_MAX 2048
/* Entries of one archive. */
#define ZIM_ENTRIES_MAX 4000000

/* The archive's metadata; every string new (zim_result_free), NULL when
 * the entry is absent or empty.  Values are valid UTF-8 without control
 * bytes other than newline. */
struct zim_meta {
    char *title;
    char *description;
    char *language; /* as written: ISO 639-3, maybe a comma list */
    char *source;
    char *date; /* YYYY-MM-DD */
    char *creator;
    char *publisher;
    char *name;
};

/* A redirect kept: the path it had (as in the archive, below the base
 * URL) and the saved path of the entry it leads to.  Both new. */
struct zim_alias {
    char *path;
    char *target;
};

struct zim_result {
    struct zim_meta meta;
    struct zim_alias *alias; /* new */
    size_t nalias;
    char base[2048]; /* the base URL used, ending in '/' */
    long long date;  /* Date metadata in Unix seconds, -1 when absent */
};

/* What zim_unpack takes. */
struct zim_opts {
    const char *zimdump;          /* program, NULL for "zimdump" from PATH */
    const struct policy *pol;     /* borrowed, may be NULL */
    size_t max_bytes;             /* largest item */
    unsigned long long max_total; /* largest sum of the items */
    /* The base URL (normalised, ending in '/'), or NULL: then the
     * archive's Source when it is an http(s) URL, else fallback. */
    const char *base;
    const char *fallback; /* as base; used when neither gives one */
    /* Each zimdump run's time limit in seconds; 0 for the default, 600
     * plus one per MiB of archive.  A run over it is killed and the
     * archive refused ("zimdump ... took longer than N s"). */
    unsigned long timeout_s;
};

/* Read the metadata of the ZIM at path (borrowed) into *m (zeroed by the
 * caller; release with zim_result_free on its result).  0, or -1 with err:
 * "not a ZIM archive", "truncated ZIM archive: ...", "unsupported ZIM
 * version N", a read error, or a corrupt metadata cluster. */
int zim_read_meta(const char *path, struct zim_meta *m, char *err,
                  size_t errlen);

/* Unpack the ZIM at path (borrowed) into dest_dir (an existing, empty
 * directory the caller owns): metadata into res (zeroed by the caller;
 * zim_result_free), one record per entry into out (fetch_result_free;
 * indexed by path on success).  0; -1 with err when the archive is
 * refused as a whole (bad input): not a ZIM, truncated, corrupt metadata,
 * zimdump failing on it or passing its time limit, too large in total, too many
 * entries, its base URL refused by the policy; -2 with err when the run cannot
 * go on: zimdump missing ("zimdump not found: install zim-tools ..."), the
 * destination unwritable, out of memory.  After an error dest_dir may
 * hold files: the caller removes it. */
int zim_unpack(const char *path, const char *dest_dir, const struct zim_opts *o,
               struct zim_result *res, struct fetch_result *out, char *err,
               size_t errlen);

/* Release what res owns and zero it (a zeroed res is fine). */
void zim_result_free(struct zim_result *res);

/* 1 when the file name ends in ".zim" (any case). */
int zim_is_zim_name(const char *name);

/* The ISO 639-1 code for the first code of a ZIM Language value ("eng",
 * "kor,eng") when this module knows it, else the first code as written
 * (borrowed from a table, or written into buf[n]); NULL for NULL. */
const char *zim_language(const char *value, char *buf, size_t n);

#endif
