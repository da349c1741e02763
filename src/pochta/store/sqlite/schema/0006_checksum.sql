-- pochta store, schema 6: the checksums of each attachment and inline part,
-- computed once by the indexer (Mailpit's Attachment.Checksums), so that opening
-- a message never decodes and hashes its parts again (issue 11).
CREATE TABLE message_checksum (
    seq      INTEGER NOT NULL,   -- message.seq; removed by message_checksum_removed
    part_id  TEXT    NOT NULL,   -- "2", "1.2": pochta.message.tree's ids
    size     INTEGER NOT NULL,   -- bytes of the decoded payload
    md5      TEXT    NOT NULL,
    sha1     TEXT    NOT NULL,
    sha256   TEXT    NOT NULL,
    PRIMARY KEY (seq, part_id)
) WITHOUT ROWID;

CREATE TRIGGER message_checksum_removed AFTER DELETE ON message BEGIN
    DELETE FROM message_checksum WHERE seq = OLD.seq;
END;
