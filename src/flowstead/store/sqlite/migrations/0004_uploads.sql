-- Files uploaded for runs (`POST /v1/files/upload`, `POST /api/files`). The bytes are
-- `<data dir>/uploads/<id>`, written before the row, so a row always has its file.

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    extension TEXT NOT NULL DEFAULT '',
    mime_type TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE INDEX uploads_by_created ON uploads (created_at DESC, id DESC);
