/*
 * policy: the vetting policy that decides which outside material may enter
 * the intranet (source domains, sizes, document types) and which hosts
 * `ingest --fetch` may contact.  Layer: lib/, depends on libc, strbuf,
 * alloc, fsutil and url; never on microhttpd.h, server/ or ingest/.
 *
 * The file is line based; '#' starts a comment anywhere on a line:
 *
 *   allow DOMAIN...      allowed source domains, by suffix: example.org
 *                        matches example.org and docs.example.org, never
 *                        badexample.org.  With at least one allow line a
 *                        source must match one; with none, every source
 *                        not denied is allowed.
 *   deny DOMAIN...       denied source domains, by suffix; deny wins over
 *                        allow, and applies to fetching too.
 *   max_size SIZE        largest input file; SIZE is bytes, or a number
 *                        with k, M or G (powers of 1024).  Default 64M.
 *   types TYPE...        allowed document types among html markdown text
 *                        pdf (one line).  Default: all four.
 *   fetch_allow HOST...  hosts --fetch may contact, by suffix.  None (the
 *                        default) means fetching is disabled.
 *   fetch_max_size SIZE  largest fetched body.  Default 32M.
 *   fetch_timeout SECS   whole-transfer time limit, 1..86400.  Default 60.
 *   archive_max_size SIZE  largest sum of the items of one ZIM archive,
 *                        checked before anything is unpacked.  Default 16G.
 *
 * A DOMAIN is a host name (case-insensitive, one trailing dot ignored) or
 * a numeric address (IPv4 in any inet_aton form, IPv6 with or without
 * brackets).  Numeric hosts are denied unless an allow (or fetch_allow)
 * names that exact literal: "127.0.0.1" does not admit "127.1".  Errors
 * read "FILE:LINE: message".
 */
#ifndef KW_POLICY_H
#define KW_POLICY_H

#include <stddef.h>

struct policy; /* opaque */

/* Read and parse the policy file at path (at most 1 MiB).  On success *out
 * is a new policy (policy_free); on error -1 with a message in err. */
int policy_load(const char *path, struct policy **out, char *err,
                size_t errlen);
/* Parse text[0..len) (need not be NUL-terminated); name_for_errors is only
 * used in messages.  *out is new (policy_free); -1 with err on error. */
int policy_parse(const char *text, size_t len, const char *name_for_errors,
                 struct policy **out, char *err, size_t errlen);
/* Free p (NULL is fine). */
void policy_free(struct policy *p);

/* 0 when url (borrowed) may be a document's source; -1 with the reason in
 * reason[n]: "blocked source: HOST (deny RULE)", "blocked source: HOST not
 * in allow list", "blocked source: HOST is a numeric address not in allow
 * list", "blocked source: not an http(s) URL" or "blocked source:
 * malformed http(s) URL (userinfo, bad host or port)". */
int policy_check_source(const struct policy *p, const char *url, char *reason,
                        size_t n);
/* 0 when --fetch may contact url (borrowed): http(s), host in fetch_allow
 * (numeric hosts only when listed exactly), not denied.  -1 with a reason
 * starting "fetch refused: ".  A lexical check only: the fetcher must
 * still check the addresses the name resolves to. */
int policy_check_fetch(const struct policy *p, const char *url, char *reason,
                       size_t n);
/* Largest input file in bytes. */
size_t policy_max_size(const struct policy *p);
/* 1 when type ("html", "markdown", "text" or "pdf") is allowed; 0 for
 * other types and unknown names. */
int policy_type_allowed(const struct policy *p, const char *type);
/* Largest sum of the entries unpacked from one archive (ZIM), bytes. */
size_t policy_archive_max_size(const struct policy *p);
/* Largest fetched body in bytes. */
size_t policy_fetch_max_size(const struct policy *p);
/* Whole-transfer fetch timeout in seconds. */
long policy_fetch_timeout(const struct policy *p);

#endif
