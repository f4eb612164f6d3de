/*
 * offline: write a collection's published documents as a static tree of
 * files that a reader opens without the portal: what `kwangmyong export`
 * packs into a ZIM (cli/cmd_export.c runs zimwriterfs over the tree).
 * Layer: lib/; depends on db, document, render, tmpl, html and jansson;
 * never on microhttpd.h, server/, ingest/ or cli/; never prints.
 *
 * The tree holds one HTML page per published document (its sanitized
 * body, links bound by render_bind_offline: inside the collection they
 * become relative paths, so the copy works under any URL prefix, such as
 * kiwix-serve's /content/BOOK/; every other link reads as plain text),
 * the assets those documents can use (the tree's assets and the
 * attachments of published documents; pending, rejected and withdrawn
 * documents and their attachments stay out), and under OFFLINE_DIR a
 * welcome page listing the documents, a stylesheet and a 48x48 PNG
 * illustration.  Pages load nothing from outside the tree.
 *
 * A document at PATH is written at PATH when it ends in .html or .htm,
 * PATH + "index.html" when it ends in '/', else PATH + ".html" (so a
 * reader's MIME sniffing by extension sees HTML).  A path that is not a
 * plain relative path (a ".." or empty segment, under OFFLINE_DIR) or
 * that two entries would share goes under OFFLINE_DIR by id instead.
 *
 * The templates and the two static files are read from the data
 * directory's templates/offline/.  Every pointer argument is borrowed.
 */
#ifndef KW_OFFLINE_H
#define KW_OFFLINE_H

#include "db.h"

/* The tree's own files, under a folder no mirrored path uses. */
#define OFFLINE_DIR "_kw"
#define OFFLINE_WELCOME OFFLINE_DIR "/index.html"
#define OFFLINE_ILLUSTRATION OFFLINE_DIR "/illustration.png"

/* offline_write's failures beside -1 (a database, template or file
 * error): the person running the export must fix the command. */
enum {
    OFFLINE_NO_COLLECTION = -2,
    OFFLINE_EMPTY = -3, /* no published document */
};

struct offline_error {
    char msg[512];
};

/* What the tree holds, for the ZIM's metadata.  Strings are owned
 * (offline_result_free). */
struct offline_result {
    long documents;
    long assets;
    char *title;
    char *description; /* at most 80 characters, never empty */
    char *languages;   /* ISO 639-3, commonest first, comma-separated */
    char *source_url;  /* the collection's source, or NULL */
};

/* Write collection `collection` into dir, an existing empty directory,
 * from db (a reader, not in a transaction: the tree is one snapshot).
 * data_dir holds templates/offline/.  now dates the welcome page.  0 with
 * r filled, or -1, OFFLINE_NO_COLLECTION or OFFLINE_EMPTY with err->msg;
 * what was written to dir is then the caller's to remove. */
int offline_write(struct db *db, const char *data_dir, const char *collection,
                  const char *dir, int64_t now, struct offline_result *r,
                  struct offline_error *err);

/* Release r's strings; safe on a zeroed struct. */
void offline_result_free(struct offline_result *r);

/* The ISO 639-3 code of a language tag such as "ko", "ko-KP" or "kor"
 * (static), or NULL when it is not one this table knows. */
const char *offline_iso639_3(const char *tag);

#endif
