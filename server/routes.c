/*
 * routes: the one route table.  Layer: server/.  Order matters: the first
 * pattern that matches with an accepted method wins.
 */
#include "pages.h"

const struct route routes[] = {
    {REQ_GET, "/", page_home_get, "home", 0, "home"},
    {REQ_GET, "/healthz", page_healthz_get, NULL, ROUTE_JSON | ROUTE_NO_STORE,
     "healthz"},
    {REQ_GET, "/metrics", page_metrics_get, NULL, ROUTE_NO_STORE, "metrics"},
    {REQ_GET, "/robots.txt", page_robots_get, NULL, 0, "robots"},
    {REQ_GET, "/favicon.ico", page_favicon_get, NULL, 0, "favicon"},
    {REQ_GET, "/static/*", page_static_get, NULL, 0, "static"},
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
