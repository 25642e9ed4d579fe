-- Exclusion in the draw and reviewed lint pairs (docs/bank-format.md): a question's exclusion group (NULL: none),
-- the ids of the questions of its bank it is never drawn with, and the ids whose `bank lint` pair warnings were
-- reviewed. The id lists are JSON arrays of strings. Imports write them like the other bank fields.
ALTER TABLE questions ADD COLUMN draw_group TEXT;
ALTER TABLE questions ADD COLUMN excludes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE questions ADD COLUMN lint_ok TEXT NOT NULL DEFAULT '[]';
