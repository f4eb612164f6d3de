/*
 * precheck: refuses HTML whose parse would be too deep or too large before
 * gumbo parses it.  gumbo 0.10.1 is super-linear on deep or
 * self-multiplying input (100k nested spans; the reopening of closed
 * formatting elements, where 250 KB asks for 10 million nodes), and a
 * plain count of unclosed tags both refuses ordinary sloppy pages and
 * misses those, so this models the tree builder's stack of open elements
 * and list of active formatting elements in one linear pass.  Layer: lib/,
 * the first stage of sanitize (whose result codes it returns); depends on
 * gumbo's tag table, alloc and ascii; never <microhttpd.h>.  Its limits
 * are estimates (fuzzing finds trees a few levels deeper than the model
 * said), so callers keep their rlimits as the backstop.
 */
#ifndef KW_PRECHECK_H
#define KW_PRECHECK_H

#include <stddef.h>

#include "sanitize.h"

/* Scan len bytes of html (borrowed; any bytes) once.  max_depth bounds
 * the estimated nesting of open elements, max_attrs the attributes of one
 * tag, max_elements the elements the parser would create, counting the
 * clones formatting-element reconstruction makes; the caller applies the
 * defaults and ceilings of sanitize_opts first.  SANITIZE_OK,
 * SANITIZE_TOO_COMPLEX past a limit, or SANITIZE_NOMEM. */
int precheck_html(const char *html, size_t len, size_t max_depth,
                  size_t max_attrs, size_t max_elements);

#endif
