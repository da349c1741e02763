-- pochta store, schema 1.
-- Applied inside one transaction by pochta.store.migration, which then sets
-- PRAGMA application_id (the pochta marker) and PRAGMA user_version = 1.

-- One row per message: the list view's fields, newest = highest seq.
-- seq is the rowid, so a later FTS5 table (0002_search.sql) can use
-- content_rowid='seq'.
CREATE TABLE message (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,   -- opaque, URL-safe, random
    created     INTEGER NOT NULL,          -- microseconds since the Unix epoch, UTC
    read        INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
    size        INTEGER NOT NULL,          -- raw bytes as received
    message_id  TEXT    NOT NULL,          -- Message-ID header without <>
    subject     TEXT    NOT NULL,
    sender      TEXT    NOT NULL,          -- From address, for later search
    summary     TEXT    NOT NULL           -- JSON: the rest of Summary (pochta.store.rows)
);

CREATE INDEX message_created ON message (created);
CREATE INDEX message_unread ON message (seq) WHERE read = 0;

-- The bytes exactly as received; encoding 0 = as is, 1 = zlib.
CREATE TABLE message_raw (
    seq       INTEGER PRIMARY KEY,           -- message.seq; removed by message_removed
    encoding  INTEGER NOT NULL CHECK (encoding IN (0, 1)),
    data      BLOB    NOT NULL
);

-- Totals kept by triggers, so counting 100,000 messages reads one row.
CREATE TABLE tally (
    only    INTEGER PRIMARY KEY CHECK (only = 1),
    total   INTEGER NOT NULL,
    unread  INTEGER NOT NULL
);
INSERT INTO tally (only, total, unread) VALUES (1, 0, 0);

CREATE TRIGGER message_added AFTER INSERT ON message BEGIN
    UPDATE tally SET total = total + 1, unread = unread + (1 - NEW.read);
END;

CREATE TRIGGER message_removed AFTER DELETE ON message BEGIN
    DELETE FROM message_raw WHERE seq = OLD.seq;
    UPDATE tally SET total = total - 1, unread = unread - (1 - OLD.read);
END;

CREATE TRIGGER message_read AFTER UPDATE OF read ON message
WHEN OLD.read != NEW.read BEGIN
    UPDATE tally SET unread = unread + OLD.read - NEW.read;
END;

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('application', 'pochta');
