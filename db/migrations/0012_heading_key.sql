-- 0012_heading_key: each indexed document's headings and definition
-- terms as keys (lib/rank.h, "Heading keys"), so that search can rank a
-- page whose heading or term is the query, word for word, right after
-- those whose title is: the glossary's "decorator", the section
-- "Feathering".  docindex.c keeps the table beside doc_fts: the keys of
-- exactly the published documents, from their sections' headings, the
-- definition terms and table signatures of their bodies and their file
-- names, as heading_keys() finds and normalises them (lib/rank.c,
-- registered on every connection).  One row per key and document; search
-- looks keys up.
CREATE TABLE heading_key (
    key         TEXT NOT NULL,
    document_id INTEGER NOT NULL,
    PRIMARY KEY (key, document_id)
) WITHOUT ROWID;

-- The keys of the documents indexed now.  heading_keys() ends every key
-- with char(30); the recursion cuts one off at a time.  It reads every
-- published document's sections and definition terms once (about the
-- time `kwangmyong reindex` takes to read them; docs/operations.md).
WITH RECURSIVE k(id, key, rest) AS (
    SELECT d.id, NULL,
           heading_keys((SELECT group_concat(heading, char(30))
                           FROM section WHERE document_id = d.id),
                        d.body_html, d.path)
      FROM document d
     WHERE d.status = 'published'
    UNION ALL
    SELECT id, substr(rest, 1, instr(rest, char(30)) - 1),
           substr(rest, instr(rest, char(30)) + 1)
      FROM k WHERE instr(rest, char(30)) > 0
)
INSERT OR IGNORE INTO heading_key(key, document_id)
SELECT key, id FROM k WHERE key IS NOT NULL AND key <> '';

-- Servers running on the database drop their cached results.
UPDATE setting SET value = CAST(value AS INTEGER) + 1
 WHERE key = 'search_generation';
