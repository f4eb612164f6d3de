-- 0007_definition_terms: the document index holds each document's
-- definition terms (the text of its <dt> elements: glossary entries,
-- signatures, options, parameters) in the heading column, after its
-- headings (lib/rank.h, "Definition terms").  definition_terms() is
-- lib/rank.c's, registered on every connection.
DROP VIEW doc_text;
CREATE VIEW doc_text(id, title, heading, body) AS
SELECT d.id, d.title,
       (SELECT CASE WHEN h <> '' AND t <> '' THEN h || char(30) || t
                    ELSE h || t END
          FROM (SELECT (SELECT coalesce(group_concat(h, char(30)), '') FROM
                          (SELECT heading AS h,
                                  lag(heading) OVER (ORDER BY ord) AS prev,
                                  row_number() OVER (ORDER BY ord) AS n
                             FROM section WHERE document_id = d.id
                            ORDER BY ord)
                         WHERE h <> '' AND (n = 1 OR h <> prev)) AS h,
                       definition_terms(d.body_html) AS t)),
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

-- The index is contentless: a row is deleted with the values doc_text
-- gives, so every row is indexed again with the new ones, in one
-- segment.  This takes about as long as `kwangmyong reindex`
-- (docs/operations.md).
INSERT INTO doc_fts(doc_fts) VALUES ('delete-all');
INSERT INTO doc_fts(rowid, title, heading, body)
SELECT id, title, heading, body FROM doc_text
 WHERE id IN (SELECT id FROM document WHERE status = 'published');
INSERT INTO doc_fts(doc_fts) VALUES ('optimize');

-- The impact lists hold heading counts of the old index and impacts made
-- with the old constants: dropped, so every search scores its matches
-- until the next `ingest --approve`, pack import or `kwangmyong reindex`
-- builds them again.  From now on a build records the ranking constants
-- it used (rank_params(), lib/rank.c), and lists built with others are not
-- used: a program whose ranking changed cannot take stale impacts for
-- bounds.
DELETE FROM term_impact;
DELETE FROM impact_meta;
DELETE FROM impact_late;
ALTER TABLE impact_meta ADD COLUMN rank_params TEXT NOT NULL DEFAULT '';

-- Servers running on the database drop their catalogs and cached results.
UPDATE setting SET value = CAST(value AS INTEGER) + 1
 WHERE key = 'search_generation';
