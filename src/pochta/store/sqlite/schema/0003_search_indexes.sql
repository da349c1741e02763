-- pochta store, schema 3: indexes that keep searches at 100,000 messages in milliseconds.

-- Every column a search condition reads, by arrival order: scanning it reads
-- about 120 bytes a message instead of the whole row with its summary JSON
-- (a substring search at 100,000 messages: 30 ms -> 9 ms), and it answers the
-- read flag of each message the full-text index found.
CREATE INDEX message_find ON message (
    seq, read, indexed, created, size, attachments, inline,
    subject_lower, addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to
);

-- With message_unread, counts the unread among many word matches from the smaller side.
CREATE INDEX message_was_read ON message (seq) WHERE read = 1;
