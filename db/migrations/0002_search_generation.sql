-- 0002_search_generation: a counter of changes to what search can show.
-- The server caches search results and keeps a cached page only while this
-- counter is unchanged.  Triggers keep it, so every writer (the ingest,
-- the moderation form, a later tool) bumps it without having to remember:
-- a document entering or leaving the published set, a published
-- document's title, path, language, date or collection changing, and a
-- collection being renamed or retitled.  Only ordinary tables are
-- written, which trusted_schema = OFF allows in triggers.
INSERT INTO setting(key, value) VALUES ('search_generation', '0');

CREATE TRIGGER search_generation_doc_insert AFTER INSERT ON document
WHEN NEW.status = 'published'
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_generation_doc_update
AFTER UPDATE OF status, title, title_norm, path, language, published_at,
                collection_id ON document
WHEN OLD.status = 'published' OR NEW.status = 'published'
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_generation_doc_delete AFTER DELETE ON document
WHEN OLD.status = 'published'
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
END;

CREATE TRIGGER search_generation_collection AFTER UPDATE OF name, title
ON collection
BEGIN
    UPDATE setting SET value = CAST(value AS INTEGER) + 1
     WHERE key = 'search_generation';
END;
