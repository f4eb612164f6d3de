/*
 * routes: the one route table.  Layer: server/.  Order matters: the first
 * pattern that matches with an accepted method wins, so specific patterns
 * come before the catch-all document route.  The last column is the key
 * of a ROUTE_RENDITION route (which stored page answers), NULL elsewhere.
 */
#include "pages.h"

#define ADMIN_GET (ROUTE_NO_STORE | ROUTE_ROLE_OPERATOR)
#define ADMIN_POST (ROUTE_NO_STORE | ROUTE_BODY | ROUTE_CSRF)

const struct route routes[] = {
    {REQ_GET, "/", page_home_get, "home", 0, "home", NULL},
    {REQ_GET, "/healthz", page_healthz_get, NULL, ROUTE_JSON | ROUTE_NO_STORE,
     "healthz", NULL},
    {REQ_GET, "/metrics", page_metrics_get, NULL, ROUTE_NO_STORE, "metrics",
     NULL},
    {REQ_GET, "/robots.txt", page_robots_get, NULL, 0, "robots", NULL},
    {REQ_GET, "/favicon.ico", page_favicon_get, NULL, 0, "favicon", NULL},
    {REQ_GET, "/lang/:code", page_lang_get, NULL, 0, "lang", NULL},
    {REQ_GET, "/static/*", page_static_get, NULL, 0, "static", NULL},
    {REQ_GET, "/search", page_search_get, "search", ROUTE_POOL, "search", NULL},
    {REQ_GET, "/suggest", page_suggest_get, NULL, ROUTE_JSON, "suggest", NULL},
    {REQ_GET, "/api/search", page_api_search_get, NULL, ROUTE_JSON | ROUTE_POOL,
     "api_search", NULL},
    {REQ_GET, "/api/collections", page_api_collections_get, NULL, ROUTE_JSON,
     "api_collections", NULL},
    {REQ_GET, "/api/collections/:name", page_api_collection_get, NULL,
     ROUTE_JSON, "api_collection", NULL},
    {REQ_GET, "/api/documents/:id", page_api_document_get, NULL, ROUTE_JSON,
     "api_document", NULL},
    {REQ_GET, "/feed.atom", page_feed_get, NULL, 0, "feed", NULL},
    {REQ_GET, "/sitemap.xml", page_sitemap_get, NULL, 0, "sitemap", NULL},
    {REQ_GET, "/opensearch.xml", page_opensearch_get, NULL, 0, "opensearch",
     NULL},
    {REQ_GET, "/c/:name/feed.atom", page_collection_feed_get, NULL, 0,
     "collection_feed", NULL},
    {REQ_GET, "/opds", page_opds_slash_get, NULL, 0, "opds_redirect", NULL},
    {REQ_GET, "/opds/", page_opds_get, NULL, 0, "opds", NULL},
    {REQ_GET, "/opds/c/:name", page_opds_collection_get, NULL, 0,
     "opds_collection", NULL},
    {REQ_GET, "/opds/search.xml", page_opds_opensearch_get, NULL, 0,
     "opds_opensearch", NULL},
    {REQ_GET, "/opds/search", page_opds_search_get, NULL, ROUTE_POOL,
     "opds_search", NULL},
    {REQ_GET, "/oai", page_oai_get, NULL, 0, "oai", NULL},
    {REQ_POST, "/oai", page_oai_post, NULL, ROUTE_BODY | ROUTE_READ_POST,
     "oai_post", NULL},
    {REQ_GET, "/c/", page_collections_get, "collections", 0, "collections",
     NULL},
    {REQ_GET, "/c/:name", page_collection_slash_get, NULL, 0,
     "collection_redirect", NULL},
    {REQ_GET, "/c/:name/", page_collection_get, "collection", 0, "collection",
     NULL},
    {REQ_GET, "/c/:name/*", page_document_get, "document", ROUTE_RENDITION,
     "document", page_document_key},
    {REQ_GET, "/d/:id", page_doc_id_get, NULL, 0, "document_id", NULL},
    {REQ_GET, "/random", page_random_get, NULL, ROUTE_NO_STORE, "random", NULL},
    {REQ_GET, "/external", page_external_get, "external", ROUTE_NO_STORE,
     "external", NULL},
    {REQ_POST, "/external", page_external_post, NULL,
     ROUTE_BODY | ROUTE_CSRF | ROUTE_NO_STORE, "external_request", NULL},
    {REQ_GET, "/admin/login", page_admin_login_get, "admin/login",
     ROUTE_NO_STORE, "admin_login", NULL},
    {REQ_POST, "/admin/login", page_admin_login_post, NULL,
     ADMIN_POST | ROUTE_LOGIN_POOL, "admin_login_post", NULL},
    {REQ_POST, "/admin/logout", page_admin_logout_post, NULL,
     ADMIN_POST | ROUTE_ROLE_OPERATOR, "admin_logout", NULL},
    {REQ_GET, "/admin/", page_admin_dashboard_get, "admin/dashboard", ADMIN_GET,
     "admin", NULL},
    {REQ_GET, "/admin/requests.txt", page_admin_requests_get, NULL, ADMIN_GET,
     "admin_requests", NULL},
    {REQ_GET, "/admin/queue", page_admin_queue_get, "admin/queue", ADMIN_GET,
     "admin_queue", NULL},
    {REQ_POST, "/admin/queue/bulk", page_admin_bulk_post, NULL,
     ADMIN_POST | ROUTE_ROLE_MODERATOR, "admin_bulk", NULL},
    {REQ_GET, "/admin/documents/:id", page_admin_document_get, "admin/document",
     ADMIN_GET, "admin_document", NULL},
    {REQ_GET, "/admin/documents/:id/preview", page_admin_preview_get, NULL,
     ADMIN_GET, "admin_preview", NULL},
    {REQ_POST, "/admin/documents/:id/:action", page_admin_action_post, NULL,
     ADMIN_POST | ROUTE_ROLE_MODERATOR, "admin_action", NULL},
    {REQ_GET, "/admin/audit", page_admin_audit_get, "admin/audit", ADMIN_GET,
     "admin_audit", NULL},
    {REQ_GET, "/admin/users", page_admin_users_get, "admin/users",
     ROUTE_NO_STORE | ROUTE_ROLE_ADMIN, "admin_users", NULL},
    {REQ_POST, "/admin/users", page_admin_users_post, NULL,
     ADMIN_POST | ROUTE_ROLE_ADMIN, "admin_users_add", NULL},
    {REQ_POST, "/admin/users/:name/:action", page_admin_user_action_post, NULL,
     ADMIN_POST | ROUTE_ROLE_ADMIN, "admin_user_action", NULL},
#ifdef KW_TEST_HOOKS
    /* The sqlmap positive control (tests/hostile/S1): injectable on
     * purpose, compiled only with --enable-test-hooks. */
    {REQ_GET, "/test/sqli", page_test_sqli_get, NULL,
     ROUTE_JSON | ROUTE_NO_STORE, "test_sqli", NULL},
#endif
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
