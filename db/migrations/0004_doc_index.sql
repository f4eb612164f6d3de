-- 0004_doc_index: the document-level full-text index (lib/docindex.h).
-- Search matches and ranks whole documents: every word of a query must
-- occur somewhere in the document, a phrase inside one section, and an
-- excluded word nowhere in it.  section_fts stays the index of sections,
-- for the best section's anchor and the snippet.
--
-- doc_text is what the index holds for a document: its title, its
-- headings (a repeated heading once) and its sections' bodies, each
-- section after the byte 0x1e.  The tokenizer's "sections" option makes
-- that byte a token of its own (lib/tokenizer.h), so a phrase never
-- matches across two sections.  Chunks of one long section (the same
-- anchor and heading, one after the other) are joined with a space.
CREATE VIEW doc_text(id, title, heading, body) AS
SELECT d.id, d.title,
       (SELECT coalesce(group_concat(h, char(30)), '') FROM
          (SELECT heading AS h,
                  lag(heading) OVER (ORDER BY ord) AS prev,
                  row_number() OVER (ORDER BY ord) AS n
             FROM section WHERE document_id = d.id ORDER BY ord)
         WHERE h <> '' AND (n = 1 OR h <> prev)),
       (SELECT coalesce(group_concat(b, ''), '') FROM
          (SELECT CASE
                    WHEN row_number() OVER w = 1 THEN body
                    WHEN anchor IS lag(anchor) OVER w
                         AND heading = lag(heading) OVER w THEN ' ' || body
                    ELSE char(30) || body
                  END AS b
             FROM section WHERE document_id = d.id
           WINDOW w AS (ORDER BY ord) ORDER BY ord))
  FROM document d;

-- Only published documents are in it (docindex_put on publication,
-- docindex_drop when a document stops being published), so FTS5's own
-- counts are the published corpus's: the number of documents and, per
-- term, how many contain it (IDF).  Contentless: the text stays in
-- section, and a row is deleted with the values doc_text gives again.
CREATE VIRTUAL TABLE doc_fts USING fts5(
    title, heading, body,
    content = '',
    tokenize = 'porter kwtok sections'
);

INSERT INTO doc_fts(rowid, title, heading, body)
SELECT id, title, heading, body FROM doc_text
 WHERE id IN (SELECT id FROM document WHERE status = 'published');

-- What ranking reads of each document besides the index, in a narrow
-- table of its own: document rows carry the body twice, and a column
-- added to them would sit behind the bodies' overflow pages (0003's
-- lesson), which every catalog build would walk.  Set by ingest.
--   link_share: how much of the text lies inside links (link_share(),
--     lib/rank.c); hubs (indexes, tables of contents) rank below the
--     pages they point to (lib/rank.h, "Hubs").
--   sketch: a MinHash of the text's word 3-shingles (text_sketch());
--     near-duplicates of one collection (a page and its source, a page
--     and a copy) show once (lib/rank.h, "Duplicates").
CREATE TABLE doc_signal (
    document_id INTEGER PRIMARY KEY
                REFERENCES document(id) ON DELETE CASCADE,
    link_share  REAL NOT NULL DEFAULT 0,
    sketch      BLOB
);
INSERT INTO doc_signal(document_id, link_share, sketch)
SELECT id, coalesce(link_share(body_html), 0), text_sketch(body_text)
  FROM document;
