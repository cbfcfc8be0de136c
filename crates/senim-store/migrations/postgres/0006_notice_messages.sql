-- A notice's message id and arguments (JSON), so that the pages and the mail
-- can say it in the reader's language.
ALTER TABLE notifications ADD COLUMN message TEXT;
