-- pochta's PostgreSQL store, schema 1. Applied in one transaction, under the
-- advisory lock of pochta.store.postgres.migration, inside the schema "pochta"
-- (the search_path of every connection of the store).

-- One row per message: the list's fields; newest = highest seq. seq comes
-- from a sequence, so two catchers inserting at once never collide, and
-- "newest first" is the order in which the rows were inserted.
CREATE TABLE message (
    seq            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text    NOT NULL UNIQUE,          -- pochta.store.identity
    mailbox        text    NOT NULL DEFAULT 'default',  -- pochta.store.mailbox
    created        timestamptz NOT NULL,             -- when it was committed
    read           boolean NOT NULL DEFAULT false,
    size           bigint  NOT NULL,                 -- raw bytes as received
    message_id     text    NOT NULL,                 -- Message-ID without <>
    subject        text    NOT NULL,
    summary        jsonb   NOT NULL,                 -- the rest of Summary (row.py)
    indexed        boolean NOT NULL DEFAULT false,   -- parsed fully by an indexer
    -- Lower-cased "name <address>" lines, one per mailbox, for from:, to:, ...
    addr_from      text    NOT NULL DEFAULT '',
    addr_to        text    NOT NULL DEFAULT '',
    addr_cc        text    NOT NULL DEFAULT '',
    addr_bcc       text    NOT NULL DEFAULT '',
    addr_reply_to  text    NOT NULL DEFAULT '',
    subject_lower  text    NOT NULL DEFAULT '',
    attachments    integer NOT NULL DEFAULT 0,
    inline         integer NOT NULL DEFAULT 0,
    -- The words of subject, addresses, body and file names (search.py), once indexed.
    words          tsvector
);

CREATE INDEX message_mailbox ON message (mailbox, seq);
CREATE INDEX message_created ON message (created);
CREATE INDEX message_unindexed ON message (seq) WHERE NOT indexed;
CREATE INDEX message_unread ON message (mailbox, seq) WHERE NOT read;
CREATE INDEX message_message_id ON message (lower(message_id));
CREATE INDEX message_words ON message USING gin (words);

-- The bytes exactly as received, apart from the row so that lists never read them.
CREATE TABLE message_raw (
    seq   bigint PRIMARY KEY REFERENCES message (seq) ON DELETE CASCADE,
    data  bytea  NOT NULL
);

-- Tags: one row per (message, tag); "folded" is the tag case-folded by pochta.
CREATE TABLE message_tag (
    seq     bigint NOT NULL REFERENCES message (seq) ON DELETE CASCADE,
    tag     text   NOT NULL,
    folded  text   NOT NULL,
    PRIMARY KEY (seq, folded)
);
CREATE INDEX message_tag_folded ON message_tag (folded);

-- Totals per mailbox, kept by statement triggers (one update per statement,
-- not per row), so counting 100,000 messages reads a row per mailbox. The
-- functions keep the search_path they were made with (the schema "pochta"),
-- so a change made over any connection keeps the totals.
CREATE TABLE tally (
    mailbox  text   PRIMARY KEY,
    total    bigint NOT NULL DEFAULT 0,
    unread   bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION tally_change(changes_mailbox text[], changes_total bigint[], changes_unread bigint[])
RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
    -- In mailbox order, so that two transactions never lock rows in opposite orders.
    INSERT INTO tally AS t (mailbox, total, unread)
    SELECT c.mailbox, c.total, c.unread
    FROM unnest(changes_mailbox, changes_total, changes_unread) AS c (mailbox, total, unread)
    WHERE c.total <> 0 OR c.unread <> 0
    ORDER BY c.mailbox
    ON CONFLICT (mailbox) DO UPDATE
        SET total = t.total + excluded.total, unread = t.unread + excluded.unread
$$;

CREATE FUNCTION tally_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM tally_change(array_agg(mailbox), array_agg(n), array_agg(u))
    FROM (SELECT mailbox, count(*) AS n, count(*) FILTER (WHERE NOT read) AS u
          FROM added GROUP BY mailbox) AS g;
    RETURN NULL;
END $$;

CREATE FUNCTION tally_removed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM tally_change(array_agg(mailbox), array_agg(-n), array_agg(-u))
    FROM (SELECT mailbox, count(*) AS n, count(*) FILTER (WHERE NOT read) AS u
          FROM removed GROUP BY mailbox) AS g;
    RETURN NULL;
END $$;

CREATE FUNCTION tally_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM tally_change(array_agg(mailbox), array_agg(n), array_agg(u))
    FROM (SELECT mailbox, sum(n)::bigint AS n, sum(u)::bigint AS u FROM (
              SELECT mailbox, 1 AS n, (NOT read)::int AS u FROM after_change
              UNION ALL
              SELECT mailbox, -1, -(NOT read)::int FROM before_change) AS d
          GROUP BY mailbox) AS g;
    RETURN NULL;
END $$;

CREATE TRIGGER message_added AFTER INSERT ON message
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_added();
CREATE TRIGGER message_removed AFTER DELETE ON message
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION tally_removed();
CREATE TRIGGER message_changed AFTER UPDATE ON message
    REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change
    FOR EACH STATEMENT EXECUTE FUNCTION tally_changed();
