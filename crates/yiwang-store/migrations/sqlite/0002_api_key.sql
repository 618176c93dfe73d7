-- yiwang on SQLite, schema version 2: Open311 GeoReport v2.
--
-- API keys of the client apps that post service requests (Open311 GeoReport v2,
-- POST Service Request: "Requires API Key: Yes"). Only a SHA-256 of each key is kept,
-- so a copy of the database does not let anyone post; the key itself is shown once,
-- when it is issued. A revoked key stays, stamped, so the record of who posted what
-- keeps its client's name.
CREATE TABLE api_key (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash   TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CONSTRAINT api_key_hash UNIQUE (key_hash)
);

-- The extra questions a category asks (Open311 service definition attributes), as
-- the JSON of `yiwang_core::taxonomy::Question`s. Reference data, replaced on import.
ALTER TABLE category ADD COLUMN attributes TEXT NOT NULL DEFAULT '[]';

-- Open311 servicerequestupdates lists the public events of a time window.
CREATE INDEX event_at ON event (at);
