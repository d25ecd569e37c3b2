-- The send ledger: one row per Message-ID, claimed before the SMTP conversation and marked
-- delivered after (see activities.Ledger). Times come from the database's clock only, so the
-- workers' clocks never decide whether a lease has expired.
CREATE TABLE breachflow_send_ledger (
    message_id     text        PRIMARY KEY,
    state          text        NOT NULL CHECK (state IN ('claimed', 'delivered')),
    -- the attempt holding the claim, or the one that delivered
    holder         text        NOT NULL,
    lease_until    timestamptz,
    claimed_at     timestamptz NOT NULL DEFAULT now(),
    -- the last attempt whose expired claim was taken over, and how many times that happened:
    -- each is a possible second delivery of this Message-ID
    recovered_from text,
    recoveries     integer     NOT NULL DEFAULT 0,
    -- deliveries counts successful SMTP conversations; more than 1 is a duplicate
    deliveries     integer     NOT NULL DEFAULT 0,
    receipt        jsonb,
    delivered_at   timestamptz
);
