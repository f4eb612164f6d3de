-- 0001_init: the whole mission's schema.  Times are Unix seconds (*_at).
-- Applied forward only, inside one transaction, by lib/db.c; the file
-- db/schema.sql is regenerated from a fresh database and checked by a test.

-- A named group of documents, usually one mirrored site or manual.
CREATE TABLE collection (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE
                CHECK (length(name) BETWEEN 1 AND 64
                       AND name NOT GLOB '*[^a-z0-9._-]*'),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source_url  TEXT,               -- where the tree was mirrored from
    language    TEXT,               -- default language of its documents
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One run of `kwangmyong ingest`: who, when, what happened.
CREATE TABLE ingest_batch (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER REFERENCES collection(id),
    operator      TEXT NOT NULL,
    command       TEXT NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    n_new         INTEGER NOT NULL DEFAULT 0,
    n_changed     INTEGER NOT NULL DEFAULT 0,
    n_unchanged   INTEGER NOT NULL DEFAULT 0,
    n_rejected    INTEGER NOT NULL DEFAULT 0,
    report        TEXT               -- JSON report, as --report writes it
);

-- Content-addressed bytes: original files, attachments, mirrored assets.
CREATE TABLE blob (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size       INTEGER NOT NULL,
    data       BLOB NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One version of one document.  A re-ingest that changes a document adds
-- a new pending version; the published one stays until a moderator acts.
CREATE TABLE document (
    id              INTEGER PRIMARY KEY,
    collection_id   INTEGER NOT NULL REFERENCES collection(id),
    path            TEXT NOT NULL,      -- path inside the mirrored tree
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'published', 'rejected',
                                      'withdrawn', 'superseded')),
    title           TEXT NOT NULL,
    title_norm      TEXT NOT NULL,      -- case-folded, for suggest and ranking
    language        TEXT,
    authors         TEXT,
    doc_date        TEXT,               -- date the document gives itself
    description     TEXT,
    canonical_url   TEXT,
    content_type    TEXT NOT NULL,      -- of the original: text/html, ...
    metadata        TEXT NOT NULL DEFAULT '{}',  -- JSON: license, abstract...
    -- provenance
    source_url      TEXT,               -- original URL
    source_url_norm TEXT,               -- normalised, for link binding
    retrieved_at    INTEGER,
    ingested_at     INTEGER NOT NULL,
    batch_id        INTEGER REFERENCES ingest_batch(id),
    operator        TEXT NOT NULL,
    orig_sha256     TEXT NOT NULL CHECK (length(orig_sha256) = 64),
    orig_size       INTEGER NOT NULL,
    body_sha256     TEXT NOT NULL CHECK (length(body_sha256) = 64),
    original_blob   TEXT REFERENCES blob(sha256),  -- kept for PDFs etc.
    -- moderation
    decided_at      INTEGER,
    decided_by      TEXT,
    reason          TEXT,
    published_at    INTEGER,
    updated_at      INTEGER NOT NULL,
    -- The large columns come last: reading any column stored after them
    -- would walk their overflow pages.
    body_html       TEXT NOT NULL,      -- sanitized, links late-bound
    body_text       TEXT NOT NULL,      -- plain text, for diffs
    UNIQUE (collection_id, path, version)
);
CREATE UNIQUE INDEX document_one_published
    ON document(collection_id, path) WHERE status = 'published';
CREATE INDEX document_status ON document(status, collection_id);
CREATE INDEX document_source ON document(source_url_norm)
    WHERE source_url_norm IS NOT NULL;
CREATE INDEX document_title_norm ON document(title_norm)
    WHERE status = 'published';
CREATE INDEX document_batch ON document(batch_id);
CREATE INDEX document_published_at ON document(published_at)
    WHERE status = 'published';
CREATE INDEX document_list_title ON document(collection_id, title_norm)
    WHERE status = 'published';
CREATE INDEX document_list_date ON document(collection_id, published_at)
    WHERE status = 'published';

-- Files of a mirrored tree that are not documents (images, stylesheets),
-- and documents' attachments; served at /c/NAME/PATH.
CREATE TABLE asset (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collection(id),
    path          TEXT NOT NULL,
    document_id   INTEGER REFERENCES document(id),  -- set for attachments
    content_type  TEXT NOT NULL,
    blob_sha256   TEXT NOT NULL REFERENCES blob(sha256),
    filename      TEXT,                -- for Content-Disposition
    created_at    INTEGER NOT NULL,
    UNIQUE (collection_id, path)
);
CREATE INDEX asset_document ON asset(document_id)
    WHERE document_id IS NOT NULL;
CREATE INDEX asset_blob ON asset(blob_sha256);

-- Every link a document's body holds, by normalised absolute target URL;
-- bound to an intranet path or /external when a page is rendered.
CREATE TABLE link (
    document_id INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    target_url  TEXT NOT NULL,
    is_image    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, target_url)
) WITHOUT ROWID;
CREATE INDEX link_target ON link(target_url);

-- Old paths and URLs that lead to a document (meta refresh, 3xx, moves).
CREATE TABLE alias (
    collection_id INTEGER NOT NULL REFERENCES collection(id),
    path          TEXT NOT NULL,
    target_path   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (collection_id, path)
) WITHOUT ROWID;

CREATE TABLE tag (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE document_tag (
    document_id INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tag(id),
    PRIMARY KEY (document_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX document_tag_tag ON document_tag(tag_id);

-- Search units: a document split at its headings.  The FTS index below
-- mirrors this table (external content).  lib/ code keeps the two in sync
-- in the same transaction: with trusted_schema=OFF a trigger may not write
-- to a virtual table, and `kwangmyong verify` runs FTS5's integrity-check.
CREATE TABLE section (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    anchor      TEXT,
    title       TEXT NOT NULL DEFAULT '',  -- the document title on ord 0
    heading     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    UNIQUE (document_id, ord)
);
CREATE VIRTUAL TABLE section_fts USING fts5(
    title, heading, body,
    content = 'section', content_rowid = 'id',
    tokenize = 'porter kwtok'
);

-- A published document rendered once per UI language: served as stored
-- bytes.  build_id names the templates it was made with.
CREATE TABLE rendition (
    document_id INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    lang        TEXT NOT NULL,
    build_id    TEXT NOT NULL,
    etag        TEXT NOT NULL,
    html        BLOB NOT NULL,
    html_gz     BLOB,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (document_id, lang)
) WITHOUT ROWID;

-- People who run the portal.  Readers are anonymous.
CREATE TABLE user (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE
                  CHECK (length(name) BETWEEN 1 AND 64),
    role          TEXT NOT NULL
                  CHECK (role IN ('admin', 'moderator', 'operator')),
    password_hash TEXT NOT NULL,        -- libsodium argon2id string
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Login sessions; only a hash of the cookie value is stored.
CREATE TABLE session (
    id_hash      TEXT PRIMARY KEY,      -- hex sha256 of the session id
    user_id      INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    client       TEXT
) WITHOUT ROWID;
CREATE INDEX session_user ON session(user_id);

-- Login attempts, for throttling by user name and by client address.
CREATE TABLE login_attempt (
    id        INTEGER PRIMARY KEY,
    user_name TEXT NOT NULL,
    client    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    ok        INTEGER NOT NULL
);
CREATE INDEX login_attempt_user ON login_attempt(user_name, at);
CREATE INDEX login_attempt_client ON login_attempt(client, at);

-- Tamper-evident log of every moderation act, edit, login and user change.
-- hash = sha256(prev_hash || fields); written in the same transaction as
-- the change it records.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,          -- user name, or 'cli:OPERATOR'
    action      TEXT NOT NULL,          -- approve, reject, login, ...
    object_type TEXT,                   -- document, user, batch, ...
    object_id   INTEGER,
    reason      TEXT,
    detail      TEXT NOT NULL DEFAULT '{}',  -- JSON
    client      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_object ON audit(object_type, object_id);
CREATE INDEX audit_actor ON audit(actor, at);

-- Readers asking for a page that is not on the intranet yet.
CREATE TABLE acquisition_request (
    id          INTEGER PRIMARY KEY,
    url_norm    TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    count       INTEGER NOT NULL DEFAULT 1,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'fulfilled', 'dismissed')),
    document_id INTEGER REFERENCES document(id)  -- what fulfilled it
);
CREATE INDEX acquisition_request_open ON acquisition_request(status, count);
-- Who asked (a hash of the client address), so one reader counts once.
CREATE TABLE acquisition_vote (
    request_id  INTEGER NOT NULL REFERENCES acquisition_request(id)
                ON DELETE CASCADE,
    client_hash TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (request_id, client_hash)
) WITHOUT ROWID;

-- Searches, aggregated by normalised query; zero_count feeds the
-- "what readers want and do not find" report.
CREATE TABLE search_log (
    query_norm TEXT PRIMARY KEY,
    query      TEXT NOT NULL,
    count      INTEGER NOT NULL DEFAULT 0,
    zero_count INTEGER NOT NULL DEFAULT 0,
    first_at   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX search_log_zero ON search_log(zero_count) WHERE zero_count > 0;

-- Small process-wide facts: instance id, audit genesis, ...
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
