-- pochta store, schema 2: two-phase ingest, search columns, tags, full-text index.
-- Applied inside one transaction by pochta.store.migration.

-- A message is committed first with a summary read from its header block only
-- (indexed = 0), then the indexer thread parses it fully, completes the summary,
-- fills message_text and sets indexed = 1. Rows of a schema-1 store start at 0,
-- so the indexer fills their search columns when the store is opened.
ALTER TABLE message ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;
-- Lower-cased "name <address>" lines (one per mailbox) for from:, to:, ... searches.
ALTER TABLE message ADD COLUMN addr_from TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN addr_to TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN addr_cc TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN addr_bcc TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN addr_reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN subject_lower TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message ADD COLUMN inline INTEGER NOT NULL DEFAULT 0;

CREATE INDEX message_unindexed ON message (seq) WHERE indexed = 0;

-- Tags, one row per (tag, message); the summary JSON keeps a sorted copy.
CREATE TABLE message_tag (
    tag  TEXT    NOT NULL COLLATE NOCASE,
    seq  INTEGER NOT NULL,                 -- message.seq
    PRIMARY KEY (tag, seq)
) WITHOUT ROWID;
CREATE INDEX message_tag_seq ON message_tag (seq);
INSERT OR IGNORE INTO message_tag (tag, seq)
    SELECT j.value, m.seq FROM message AS m, json_each(m.summary, '$.tags') AS j
    WHERE trim(j.value) != '';

-- Words of the subject, the addresses, the text body (the HTML's text when there
-- is no text part) and the file names, rowid = message.seq. message_search holds
-- the text (SQLite 3.40, Debian 12's, has no contentless_delete); message_text is
-- the FTS5 index over it, as an external content table, so that deleting
-- everything can drop the index at once ('delete-all').
CREATE TABLE message_search (
    seq        INTEGER PRIMARY KEY,          -- message.seq
    subject    TEXT NOT NULL,
    addresses  TEXT NOT NULL,
    body       TEXT NOT NULL,
    files      TEXT NOT NULL
);
CREATE VIRTUAL TABLE message_text USING fts5(
    subject, addresses, body, files,
    content = 'message_search', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER message_search_added AFTER INSERT ON message_search BEGIN
    INSERT INTO message_text (rowid, subject, addresses, body, files)
        VALUES (NEW.seq, NEW.subject, NEW.addresses, NEW.body, NEW.files);
END;

-- Deleting everything empties the index with 'delete-all' and sets this meta key
-- meanwhile, so the rows of message_search go without one 'delete' each.
CREATE TRIGGER message_search_removed AFTER DELETE ON message_search
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'truncating') BEGIN
    INSERT INTO message_text (message_text, rowid, subject, addresses, body, files)
        VALUES ('delete', OLD.seq, OLD.subject, OLD.addresses, OLD.body, OLD.files);
END;

CREATE TRIGGER message_searchable_removed AFTER DELETE ON message BEGIN
    DELETE FROM message_search WHERE seq = OLD.seq;
    DELETE FROM message_tag WHERE seq = OLD.seq;
END;
