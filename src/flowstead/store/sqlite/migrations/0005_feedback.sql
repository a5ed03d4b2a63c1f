-- Ratings of chat answers (`POST /v1/messages/{id}/feedbacks`), one per message. The
-- message's workflow, conversation, run and user are kept with it, so a listing needs no
-- join; it goes when its message goes.

CREATE TABLE feedbacks (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    run_id TEXT,
    user TEXT NOT NULL,
    rating TEXT NOT NULL,
    content TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX feedbacks_by_workflow ON feedbacks (workflow_id, created_at DESC, id DESC);

-- API clients name a message by the run that answered it.
CREATE INDEX messages_by_run ON messages (run_id);
