-- 0008_term_docs: every document of each frequent term, in id order, with
-- its impact (lib/impact.h), so that a search of several common words
-- finds its first page without scoring every match (lib/search.c, "Top
-- k", several words).
--
-- term_docs: one row per list of term_impact, written by the same build.
--   term: the token as doc_fts holds it;
--   docs: one entry per document that held the term at the build, in
--         ascending id order: the id's distance from the previous entry's
--         (the first from 0) as an unsigned LEB128 varint, then the impact
--         as a uint16 little-endian, rounded up to a multiple of 1/65535
--         (so it bounds the impact term_impact stores).
-- The table starts empty: the next build of the lists fills it
-- (`kwangmyong reindex --lists`, or an ingest that publishes); until then
-- such searches score every match, as before.
CREATE TABLE term_docs (
    term TEXT PRIMARY KEY,
    docs BLOB NOT NULL
);
