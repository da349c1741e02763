-- pochta's PostgreSQL store, schema 2: the checksums of each attachment and
-- inline part, computed once by the indexer (Mailpit's Attachment.Checksums),
-- so that opening a message never decodes and hashes its parts again (issue 11).
CREATE TABLE message_checksum (
    seq      bigint NOT NULL REFERENCES message (seq) ON DELETE CASCADE,
    part_id  text   NOT NULL,   -- "2", "1.2": pochta.message.tree's ids
    size     bigint NOT NULL,   -- bytes of the decoded payload
    md5      text   NOT NULL,
    sha1     text   NOT NULL,
    sha256   text   NOT NULL,
    PRIMARY KEY (seq, part_id)
);
