-- The files a chat turn carried (its `sys.files`), as a JSON list of file values, so
-- `GET /v1/messages` and the studio's chat log read them without the turn's run.
-- Messages from before carried none that were kept: '[]'.

ALTER TABLE messages ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
