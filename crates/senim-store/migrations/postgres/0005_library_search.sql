-- The library's datasets are searched through the full-text index
-- (senim-search), built from the data column; the LIKE column goes.
ALTER TABLE datasets DROP COLUMN search_text;
