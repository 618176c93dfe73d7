-- The words that point to a category in a citizen's message, as JSON (a list of
-- strings): what the leaf-category suggestion matches. Existing trees have none
-- until the district imports its categories.json again.
ALTER TABLE category ADD COLUMN keywords TEXT NOT NULL DEFAULT '[]';
