-- Knowledge search: FTS5 over chunk contents, chunking separators, fetched file types, and
-- a per-knowledge-base counter that readers compare to know their cached vectors are stale.

ALTER TABLE knowledge_bases ADD COLUMN separators TEXT NOT NULL DEFAULT '[]';
ALTER TABLE knowledge_bases ADD COLUMN index_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN content_type TEXT NOT NULL DEFAULT '';

-- chunks gets an INTEGER PRIMARY KEY: the full-text index refers to rows by rowid, and
-- VACUUM may renumber the implicit rowids of a table without one.
CREATE TABLE chunks_v2 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kb_id TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    content TEXT NOT NULL,
    metadata TEXT NOT NULL,
    embedding BLOB
);
INSERT INTO chunks_v2 (id, kb_id, document_id, position, content, metadata, embedding)
    SELECT id, kb_id, document_id, position, content, metadata, embedding FROM chunks;
DROP TABLE chunks;
ALTER TABLE chunks_v2 RENAME TO chunks;
CREATE INDEX chunks_by_document ON chunks (document_id, position);
CREATE INDEX chunks_by_kb ON chunks (kb_id);

-- An external-content index: the text lives once, in chunks; triggers keep the index in
-- step, including deletes cascaded from documents and knowledge bases.
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    content,
    content = 'chunks',
    content_rowid = 'seq',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, content) VALUES (new.seq, new.content);
END;

CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
