-- Drafts are their organisation's own (issue 20): a system is public from
-- its first submission on, and stays public whatever its status; a draft
-- never submitted, or withdrawn before it was, is not. The column keeps
-- `System::is_public` for the queries that list systems; a record written
-- before this column is public unless it is a draft or withdrawn.
ALTER TABLE systems ADD COLUMN public INTEGER NOT NULL DEFAULT 1;
UPDATE systems SET public = 0 WHERE status IN ('draft', 'withdrawn');
