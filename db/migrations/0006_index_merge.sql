-- 0006_index_merge: the search indexes keep few segments.
--
-- An FTS5 index is a set of segments, and a query looks each of its terms
-- up in every one.  Every write transaction that indexes rows adds a
-- segment; FTS5's automerge (4 a level) let a database hold 15-29, which
-- made a typical query 2.6 times slower than on the same index in one
-- segment (docs/benchmarks.md, "Index segments").
--
-- 'usermerge' 2: the 'merge' command (docindex_tidy(), run by the writers
-- after they index) merges a level as soon as it holds two segments, so a
-- tidied index holds at most one segment a level, and a row is rewritten
-- about log2(index / segment) times in its life.
INSERT INTO doc_fts(doc_fts, rank) VALUES ('usermerge', 2);
INSERT INTO section_fts(section_fts, rank) VALUES ('usermerge', 2);
