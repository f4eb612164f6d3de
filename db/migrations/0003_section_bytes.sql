-- 0003_section_bytes: search and listing speed.  Each section records the
-- length of its body in bytes, which search's ranking normalises by
-- (lib/rank.h).  The column goes before body so that reading it never
-- walks body's overflow pages; SQLite adds columns only at the end, so the
-- table is rebuilt with its ids (section_fts refers to them; nothing else
-- refers to section).
CREATE TABLE section_new (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES document(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    anchor      TEXT,
    title       TEXT NOT NULL DEFAULT '',  -- the document title on ord 0
    heading     TEXT NOT NULL DEFAULT '',
    body_bytes  INTEGER NOT NULL DEFAULT 0 CHECK (body_bytes >= 0),
    body        TEXT NOT NULL DEFAULT '',
    UNIQUE (document_id, ord)
);
INSERT INTO section_new(id, document_id, ord, anchor, title, heading,
                        body_bytes, body)
SELECT id, document_id, ord, anchor, title, heading,
       length(CAST(body AS BLOB)), body
  FROM section;
DROP TABLE section;
ALTER TABLE section_new RENAME TO section;

-- The search catalog (lib/searchcat.h) reads every published section's
-- id, document and length from this index alone, never the bodies.
CREATE INDEX section_catalog ON section(document_id, body_bytes);

-- A collection page counts its documents and their languages and years:
-- from this index alone, instead of one row of document (bodies and all)
-- per published document, three times per page.
CREATE INDEX document_list_facets
    ON document(collection_id, language, published_at)
    WHERE status = 'published';
