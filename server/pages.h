/*
 * pages: every page handler.  Layer: server/; handlers take a struct req
 * and return an HTTP status and a model, never touching MHD or printing
 * HTML (see router.h).
 */
#ifndef KW_PAGES_H
#define KW_PAGES_H

#include "router.h"

/* page_home.c */
int page_home_get(struct req *req, json_t **model);
/* page_system.c */
int page_healthz_get(struct req *req, json_t **model);
int page_metrics_get(struct req *req, json_t **model);
int page_robots_get(struct req *req, json_t **model);
int page_lang_get(struct req *req, json_t **model);
#ifdef KW_TEST_HOOKS
int page_test_sqli_get(struct req *req, json_t **model);
#endif
/* page_static.c */
int page_static_get(struct req *req, json_t **model);
int page_favicon_get(struct req *req, json_t **model);
/* page_search.c */
int page_search_get(struct req *req, json_t **model);
int page_api_search_get(struct req *req, json_t **model);
int page_suggest_get(struct req *req, json_t **model);
/* page_doc.c */
int page_collections_get(struct req *req, json_t **model);
int page_collection_slash_get(struct req *req, json_t **model);
int page_collection_get(struct req *req, json_t **model);
int page_document_get(struct req *req, json_t **model);
int page_document_key(struct req *req, int64_t *doc);
int page_doc_id_get(struct req *req, json_t **model);
int page_random_get(struct req *req, json_t **model);
int page_api_collections_get(struct req *req, json_t **model);
int page_api_collection_get(struct req *req, json_t **model);
int page_api_document_get(struct req *req, json_t **model);
/* page_feed.c */
int page_feed_get(struct req *req, json_t **model);
int page_collection_feed_get(struct req *req, json_t **model);
int page_sitemap_get(struct req *req, json_t **model);
int page_opensearch_get(struct req *req, json_t **model);
/* page_opds.c */
int page_opds_get(struct req *req, json_t **model);
int page_opds_slash_get(struct req *req, json_t **model);
int page_opds_collection_get(struct req *req, json_t **model);
int page_opds_opensearch_get(struct req *req, json_t **model);
int page_opds_search_get(struct req *req, json_t **model);
/* page_oai.c */
int page_oai_get(struct req *req, json_t **model);
int page_oai_post(struct req *req, json_t **model);
/* page_external.c */
int page_external_get(struct req *req, json_t **model);
int page_external_post(struct req *req, json_t **model);
/* page_admin.c */
int page_admin_login_get(struct req *req, json_t **model);
int page_admin_login_post(struct req *req, json_t **model);
int page_admin_logout_post(struct req *req, json_t **model);
int page_admin_dashboard_get(struct req *req, json_t **model);
int page_admin_requests_get(struct req *req, json_t **model);
int page_admin_queue_get(struct req *req, json_t **model);
int page_admin_bulk_post(struct req *req, json_t **model);
int page_admin_document_get(struct req *req, json_t **model);
int page_admin_preview_get(struct req *req, json_t **model);
int page_admin_action_post(struct req *req, json_t **model);
int page_admin_audit_get(struct req *req, json_t **model);
int page_admin_users_get(struct req *req, json_t **model);
int page_admin_users_post(struct req *req, json_t **model);
int page_admin_user_action_post(struct req *req, json_t **model);

#endif
