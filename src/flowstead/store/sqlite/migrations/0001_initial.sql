-- Flowstead schema, version 1. JSON values are TEXT written by msgspec; times are REAL
-- epoch seconds (UTC); ids are UUID TEXT, time-ordered (version 7: store/ids.py), though
-- rows written by older releases may hold random (version 4) ones.

CREATE TABLE workflows (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    document TEXT NOT NULL,
    mode TEXT NOT NULL,
    trigger TEXT,
    published_version INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX workflows_by_updated ON workflows (updated_at DESC, id);

CREATE TABLE workflow_versions (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    document TEXT NOT NULL,
    mode TEXT NOT NULL,
    trigger TEXT,
    created_at REAL NOT NULL,
    UNIQUE (workflow_id, number)
);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    user TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    inputs TEXT NOT NULL,
    variables TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX conversations_by_owner ON conversations (workflow_id, user, updated_at DESC, id);

-- A run of the draft (version NULL) carries a snapshot of the draft in draft_document.
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version INTEGER,
    status TEXT NOT NULL,
    mode TEXT NOT NULL,
    source TEXT NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    inputs TEXT NOT NULL,
    outputs TEXT,
    error TEXT,
    conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    parent_run_id TEXT REFERENCES runs (id) ON DELETE SET NULL,
    resumed_from TEXT REFERENCES runs (id) ON DELETE SET NULL,
    job_id TEXT,
    draft_document TEXT,
    total_tokens INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    elapsed REAL,
    FOREIGN KEY (workflow_id, version) REFERENCES workflow_versions (workflow_id, number)
        ON DELETE CASCADE
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id);
CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at DESC, id);
CREATE INDEX runs_by_status ON runs (status, created_at DESC, id);
CREATE INDEX runs_by_conversation ON runs (conversation_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id);
CREATE INDEX runs_by_resumed_from ON runs (resumed_from);

CREATE TABLE node_executions (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    "index" INTEGER NOT NULL DEFAULT 0,
    node_type TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    inputs TEXT,
    outputs TEXT,
    error TEXT,
    started_at REAL,
    finished_at REAL,
    tokens INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 1,
    UNIQUE (run_id, node_id, "index")
);

CREATE TABLE run_events (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_id TEXT REFERENCES runs (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    run_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    worker_id TEXT,
    lease_until REAL,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_by_lease ON jobs (status, lease_until);
CREATE INDEX jobs_by_run ON jobs (run_id);
CREATE INDEX jobs_by_created ON jobs (created_at DESC);

CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    beat_at REAL NOT NULL
);
CREATE INDEX workers_by_beat ON workers (beat_at DESC);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    run_id TEXT,
    query TEXT NOT NULL,
    answer TEXT NOT NULL,
    inputs TEXT NOT NULL,
    tokens INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at DESC);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX api_keys_by_workflow ON api_keys (workflow_id, created_at);

CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    last_used_at REAL,
    revoked_at REAL
);

-- secrets holds one Fernet token of the JSON secrets; secret_names is plain JSON.
CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    base_url TEXT,
    options TEXT NOT NULL,
    secrets TEXT NOT NULL,
    secret_names TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE knowledge_bases (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    embedding_provider TEXT,
    embedding_model TEXT,
    chunk_size INTEGER NOT NULL,
    chunk_overlap INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kb_id TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    progress REAL NOT NULL DEFAULT 0,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX documents_by_kb ON documents (kb_id, created_at);

-- embedding is float32 in machine byte order, the layout vector extensions read.
CREATE TABLE chunks (
    id TEXT PRIMARY KEY,
    kb_id TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    content TEXT NOT NULL,
    metadata TEXT NOT NULL,
    embedding BLOB
);
CREATE INDEX chunks_by_document ON chunks (document_id, position);
CREATE INDEX chunks_by_kb ON chunks (kb_id);
