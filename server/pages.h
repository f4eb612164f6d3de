/*
 * pages: every page handler.  Layer: server/; handlers take a struct req
 * and return an HTTP status and a model, never touching MHD or printing
 * HTML (see router.h).
 */
#ifndef KW_PAGES_H
#define KW_PAGES_H

#include "router.h"

int page_home_get(struct req *req, json_t **model);
int page_healthz_get(struct req *req, json_t **model);
int page_metrics_get(struct req *req, json_t **model);
int page_robots_get(struct req *req, json_t **model);
int page_static_get(struct req *req, json_t **model);
int page_favicon_get(struct req *req, json_t **model);

#endif
