-- 0005_term_impact: impact-ordered lists for the frequent terms of the
-- document index (lib/impact.h), so that a search for common words finds
-- its first page without scoring every match (lib/search.c, "Top k").
--
-- term_impact: one row per term of doc_fts held by at least
-- impact_meta.min_df documents when the lists were built.
--   term:  the token as doc_fts holds it (after kwtok and porter);
--   df:    documents that held it then (for the report only: the search
--          counts its statistics live);
--   bound: no indexed document left out of the list has an impact above
--          it (0 when the list is complete);
--   list:  at most IMPACT_LIST_MAX entries of 14 bytes, best first: the
--          document id (uint32), its impact (float32, rounded up) and the
--          term's counts in title, heading and body (uint16 each), all
--          little-endian.  The impact of a term in a document is its
--          BM25F saturation tf/(k1 + tf) times the document's hub factor,
--          with the field lengths measured against impact_meta's means.
CREATE TABLE term_impact (
    term  TEXT PRIMARY KEY,
    df    INTEGER NOT NULL,
    bound REAL NOT NULL,
    list  BLOB NOT NULL
) WITHOUT ROWID;

-- The one row of the last build: the lists cover the documents indexed
-- then, every one with an id up to upto; a document indexed since then is
-- scored by every search that matches it: those above upto by a range
-- scan, those below it (an old pending document approved later) listed in
-- impact_late by docindex_put.  The means are those the impacts were
-- computed with; a search scales its bounds by how far the live means
-- have moved from them.
CREATE TABLE impact_meta (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    upto        INTEGER NOT NULL,
    avg_title   REAL NOT NULL,
    avg_heading REAL NOT NULL,
    avg_body    REAL NOT NULL,
    min_df      INTEGER NOT NULL,
    built_at    TEXT NOT NULL
);

CREATE TABLE impact_late (
    document_id INTEGER PRIMARY KEY
);

-- A document's hub factor is part of its impacts: when its link share
-- changes after the build, its list entries no longer bound it, so it
-- joins impact_late (searches score it, and skip its entries).
CREATE TRIGGER doc_signal_impact_ins AFTER INSERT ON doc_signal
BEGIN
    INSERT OR IGNORE INTO impact_late(document_id)
    SELECT new.document_id FROM impact_meta
     WHERE id = 1 AND upto >= new.document_id;
END;
CREATE TRIGGER doc_signal_impact_upd AFTER UPDATE ON doc_signal
BEGIN
    INSERT OR IGNORE INTO impact_late(document_id)
    SELECT new.document_id FROM impact_meta
     WHERE id = 1 AND upto >= new.document_id;
END;
