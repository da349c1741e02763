-- pochta store, schema 4: mailboxes (pochta.store.mailbox).
-- Every message lands in one mailbox; older messages are in the default one.
ALTER TABLE message ADD COLUMN mailbox TEXT NOT NULL DEFAULT 'default';

-- A mailbox's page, newest first, and the unread among them.
CREATE INDEX message_mailbox ON message (mailbox, seq);

-- Totals per mailbox, kept by triggers beside the store's own tally: a row per
-- mailbox that holds or held messages (its list, so /api/v1/mailboxes is one read).
CREATE TABLE mailbox_tally (
    mailbox  TEXT    PRIMARY KEY,
    total    INTEGER NOT NULL,
    unread   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO mailbox_tally (mailbox, total, unread)
    SELECT mailbox, count(*), coalesce(sum(read = 0), 0) FROM message GROUP BY mailbox;

CREATE TRIGGER mailbox_added AFTER INSERT ON message BEGIN
    INSERT INTO mailbox_tally (mailbox, total, unread) VALUES (NEW.mailbox, 1, 1 - NEW.read)
        ON CONFLICT (mailbox) DO UPDATE SET total = total + 1, unread = unread + 1 - NEW.read;
END;

CREATE TRIGGER mailbox_removed AFTER DELETE ON message BEGIN
    UPDATE mailbox_tally SET total = total - 1, unread = unread - (1 - OLD.read)
        WHERE mailbox = OLD.mailbox;
END;

CREATE TRIGGER mailbox_read AFTER UPDATE OF read ON message
WHEN OLD.read != NEW.read BEGIN
    UPDATE mailbox_tally SET unread = unread + OLD.read - NEW.read WHERE mailbox = NEW.mailbox;
END;

-- 0003's covering index of searches, with the mailbox: a mailbox's search reads no row.
DROP INDEX message_find;
CREATE INDEX message_find ON message (
    seq, read, indexed, created, size, attachments, inline,
    subject_lower, addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to, mailbox
);
