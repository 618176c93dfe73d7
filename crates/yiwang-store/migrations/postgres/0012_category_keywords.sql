-- A category's keywords as JSON text, as on SQLite (schema version 14).
ALTER TABLE category ADD COLUMN keywords text NOT NULL DEFAULT '[]';
