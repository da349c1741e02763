-- pochta store, schema 5: tags and words folded in every script, not just ASCII.
-- pochta_tag_key(tag) is pochta.store.tag.tag_key, which pochta.store.sqlite.migration
-- gives the connection that applies this file (SQLite's own lower() and NOCASE fold ASCII only).

-- Tags: "folded" is what they compare by (so "Тест" and "тест" are one tag on a
-- message); "tag" keeps the spelling the message was given. A message that held
-- two spellings of one tag keeps the first in its sort order. Cost: one pass over
-- the tag rows (a few per message), inside this migration's transaction.
CREATE TEMP TABLE message_tag_old AS SELECT tag, seq FROM message_tag;
DROP TABLE message_tag;
CREATE TABLE message_tag (
    tag     TEXT    NOT NULL,
    folded  TEXT    NOT NULL,              -- pochta.store.tag.tag_key(tag)
    seq     INTEGER NOT NULL,              -- message.seq
    PRIMARY KEY (folded, seq)
) WITHOUT ROWID;
CREATE INDEX message_tag_seq ON message_tag (seq);
INSERT OR IGNORE INTO message_tag (tag, folded, seq)
    SELECT tag, pochta_tag_key(tag), seq FROM message_tag_old ORDER BY seq, tag;
UPDATE message SET summary = json_set(summary, '$.tags', json((
    SELECT json_group_array(tag) FROM (SELECT tag FROM message_tag
    WHERE message_tag.seq = message.seq ORDER BY folded))))
    WHERE seq IN (SELECT seq FROM message_tag_old GROUP BY seq
                  HAVING count(*) > (SELECT count(*) FROM message_tag AS t
                                     WHERE t.seq = message_tag_old.seq));
DROP TABLE message_tag_old;

-- Words: message_search now holds text folded by pochta.store.fold (the query
-- is folded alike). Rows written before are refolded in the background, in
-- batches, by the indexer (pochta.store.sqlite.refold), from this seq upwards;
-- it deletes the key when done. Until then such a row is still found by words
-- that FTS5's unicode61 folds alike (case, Latin accents), not by "елка" for "Ёлка".
INSERT INTO meta (key, value) SELECT 'refold', '0' WHERE EXISTS (SELECT 1 FROM message_search);
