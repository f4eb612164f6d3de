/*
 * http: the libmicrohttpd glue, the only file that includes
 * <microhttpd.h>.  Layer: server/.  It turns MHD callbacks into a struct
 * req, calls router_dispatch(), and turns struct resp into a response
 * with the standard headers.
 */
#ifndef KW_HTTP_H
#define KW_HTTP_H

#include <stddef.h>

#include "router.h"

struct http_server;

/* Start listening per app->cfg.  0 with *out set, or -1 with a message. */
int http_start(struct app *app, struct http_server **out, char *err,
               size_t errlen);
/* Stop accepting new connections; requests in flight go on. */
void http_quiesce(struct http_server *s);
/* Requests begun and not yet completed. */
long http_inflight(const struct http_server *s);
/* Close every connection and free the server. */
void http_stop(struct http_server *s);
/* The port actually bound (useful with port 0). */
int http_port(const struct http_server *s);

#endif
