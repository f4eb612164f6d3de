/*
 * routes: the one route table.  Layer: server/.  Order matters: the first
 * pattern that matches with an accepted method wins, so specific patterns
 * come before the catch-all document route.
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
    {REQ_GET, "/search", page_search_get, "search", 0, "search"},
    {REQ_GET, "/suggest", page_suggest_get, NULL, ROUTE_JSON, "suggest"},
    {REQ_GET, "/api/search", page_api_search_get, NULL, ROUTE_JSON,
     "api_search"},
    {REQ_GET, "/api/collections", page_api_collections_get, NULL, ROUTE_JSON,
     "api_collections"},
    {REQ_GET, "/api/collections/:name", page_api_collection_get, NULL,
     ROUTE_JSON, "api_collection"},
    {REQ_GET, "/api/documents/:id", page_api_document_get, NULL, ROUTE_JSON,
     "api_document"},
    {REQ_GET, "/feed.atom", page_feed_get, NULL, 0, "feed"},
    {REQ_GET, "/sitemap.xml", page_sitemap_get, NULL, 0, "sitemap"},
    {REQ_GET, "/opensearch.xml", page_opensearch_get, NULL, 0, "opensearch"},
    {REQ_GET, "/c/:name/feed.atom", page_collection_feed_get, NULL, 0,
     "collection_feed"},
    {REQ_GET, "/c/", page_collections_get, "collections", 0, "collections"},
    {REQ_GET, "/c/:name", page_collection_slash_get, NULL, 0,
     "collection_redirect"},
    {REQ_GET, "/c/:name/", page_collection_get, "collection", 0, "collection"},
    {REQ_GET, "/c/:name/*", page_document_get, "document", 0, "document"},
    {REQ_GET, "/d/:id", page_doc_id_get, NULL, 0, "document_id"},
    {REQ_GET, "/random", page_random_get, NULL, ROUTE_NO_STORE, "random"},
    {REQ_GET, "/external", page_external_get, "external", ROUTE_NO_STORE,
     "external"},
    {REQ_POST, "/external", page_external_post, NULL,
     ROUTE_BODY | ROUTE_CSRF | ROUTE_NO_STORE, "external_request"},
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
