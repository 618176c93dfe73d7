-- Full-text search over appeals, as a projection: the text of each case (title,
-- text, address, reply) is indexed as overlapping character bigrams, so Chinese needs
-- no word segmentation and a query's bigrams in sequence match exactly the substring
-- typed (the approach of Lucene's CJK analyzer). The rowid is the appeal row's rowid.
CREATE VIRTUAL TABLE appeal_text USING fts5(body, tokenize = 'unicode61');

-- Projection: every unit that ever held a case or was summoned to it, which is who
-- may see it besides the centre and leaders (yiwang_core::appeal::can_view).
CREATE TABLE appeal_access (
    case_id    TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (case_id, unit)
);
CREATE INDEX appeal_access_unit ON appeal_access (unit);
