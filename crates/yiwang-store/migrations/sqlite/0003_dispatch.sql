-- Dispatch intelligence: reference documents an administrator edits (gazetteer,
-- routing rules), the knowledge base, and the labelled examples a district's own
-- history yields.

-- Whole reference documents (JSON), replaced as a unit by `yiwang import`:
-- `places` (the gazetteer) and `routing` (category × area → unit rules).
CREATE TABLE reference_document (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- 知识库: answers operators give directly. Owned by a unit, which keeps them
-- current; an article is offered only between valid_from and valid_to (China dates,
-- inclusive). Articles are never deleted, only ended, so old answers stay traceable.
CREATE TABLE knowledge_article (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    unit       TEXT NOT NULL,
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    keywords   TEXT NOT NULL DEFAULT '',
    valid_from TEXT NOT NULL,
    valid_to   TEXT,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX knowledge_article_unit ON knowledge_article (unit);

-- Projection: a case whose category was corrected (changed after intake, returned as
-- not ours, or reassigned) and that a unit then answered is a labelled example for
-- `yiwang train dispatch --corrections`. Rebuilt by reindex like every projection.
CREATE TABLE dispatch_example (
    case_id    TEXT PRIMARY KEY,
    text       TEXT NOT NULL,
    category   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
