-- 0010_search_change: which documents changed in each search generation,
-- so that a server moves its search catalog (lib/searchcat.h) to a new
-- generation by reading those documents again instead of every document:
-- at a million documents a full build takes about a second, and every
-- search waited for one after each commit of an ingest running beside the
-- server (stalls of 1.4 to 4.6 s).
--
-- search_change: one row per change to what the catalog holds of a
--   document (whether it is published, its collection, language, date,
--   title and so its index row, its link share), with the generation it
--   belongs to: the generation the change moved to, or for a change that
--   moves none (a link share), the next one.  A catalog built at
--   generation G is brought to the present by the documents of the rows
--   with gen > G.  Writers delete old rows (lib/docindex.h,
--   docindex_changes_prune) and record in setting 'search_change_floor'
--   the highest generation deleted: a catalog older than that is built
--   anew.
CREATE TABLE search_change (
    gen         INTEGER NOT NULL,
    document_id INTEGER NOT NULL
);
CREATE INDEX search_change_gen ON search_change(gen);
INSERT INTO setting(key, value)
SELECT 'search_change_floor', value FROM setting
 WHERE key = 'search_generation';

DROP TRIGGER search_generation_doc_insert;
DROP TRIGGER search_generation_doc_update;
DROP TRIGGER search_generation_doc_delete;

CREATE TRIGGER search_generation_doc_insert AFTER INSERT ON document
WHEN NEW.status = 'published'
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
    INSERT INTO search_change(gen, document_id)
    SELECT CAST(value AS INTEGER), NEW.id FROM setting
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_generation_doc_update
AFTER UPDATE OF status, title, title_norm, path, language, published_at,
                collection_id ON document
WHEN OLD.status = 'published' OR NEW.status = 'published'
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
    INSERT INTO search_change(gen, document_id)
    SELECT CAST(value AS INTEGER), NEW.id FROM setting
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_generation_doc_delete AFTER DELETE ON document
WHEN OLD.status = 'published'
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
    INSERT INTO search_change(gen, document_id)
    SELECT CAST(value AS INTEGER), OLD.id FROM setting
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_change_signal_ins AFTER INSERT ON doc_signal
BEGIN
    INSERT INTO search_change(gen, document_id)
    SELECT CAST(value AS INTEGER) + 1, NEW.document_id FROM setting
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_change_signal_upd AFTER UPDATE ON doc_signal
BEGIN
    INSERT INTO search_change(gen, document_id)
    SELECT CAST(value AS INTEGER) + 1, NEW.document_id FROM setting
     WHERE key = 'search_generation';
END;
