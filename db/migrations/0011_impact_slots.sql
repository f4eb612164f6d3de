-- 0011_impact_slots: a second pair of tables for search's impact lists
-- (lib/impact.h), so that a build writes its lists beside the ones in use,
-- in short write transactions, and swaps them in with one row.  In one
-- transaction a build at a million documents held the write lock for
-- about ten minutes: the moderation form, logins and any other writer
-- waited, and gave up after busy_timeout_ms.
--
-- Slot 0 is term_impact and term_docs (migrations 0005 and 0008), slot 1
-- the two tables below, of the same shape.  impact_meta.slot says which
-- pair the last build filled; searches read that pair, in the same read
-- transaction as impact_meta, so a swap is atomic for them.  The other
-- pair is empty, or being filled by a build.
CREATE TABLE term_impact_1 (
    term  TEXT PRIMARY KEY,
    df    INTEGER NOT NULL,
    bound REAL NOT NULL,
    list  BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE term_docs_1 (
    term TEXT PRIMARY KEY,
    docs BLOB NOT NULL
);

ALTER TABLE impact_meta ADD COLUMN slot INTEGER NOT NULL DEFAULT 0
    CHECK (slot IN (0, 1));

-- The number of the newest build that started.  A build takes the next
-- number and checks in each of its transactions that it is still the
-- newest: when another build (a second ingest, a reindex) started after
-- it, it stops and leaves the lists to that one.
INSERT INTO setting(key, value) VALUES ('impact_build', '0');
