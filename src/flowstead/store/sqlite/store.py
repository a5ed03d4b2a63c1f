"""The SQLite adapter of the `Store` port."""

from __future__ import annotations

from pathlib import Path

from flowstead.store.closing import ClosingStore
from flowstead.store.secretbox import SecretBox
from flowstead.store.sqlite.access import SqliteAdminTokens, SqliteApiKeys
from flowstead.store.sqlite.chat import SqliteConversations, SqliteMessages
from flowstead.store.sqlite.database import Database
from flowstead.store.sqlite.events import SqliteRunEvents
from flowstead.store.sqlite.feedback import SqliteFeedbacks
from flowstead.store.sqlite.jobs import SqliteJobs, SqliteWorkers
from flowstead.store.sqlite.knowledge import SqliteChunks, SqliteDocuments, SqliteKnowledgeBases
from flowstead.store.sqlite.runs import SqliteNodeExecutions, SqliteRuns
from flowstead.store.sqlite.settings import SqliteMeta, SqliteProviders
from flowstead.store.sqlite.uploads import SqliteUploads
from flowstead.store.sqlite.workflows import SqliteWorkflows


class SqliteStore(ClosingStore):
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self.workflows = SqliteWorkflows(db)
        self.runs = SqliteRuns(db)
        self.nodes = SqliteNodeExecutions(db)
        self.events = SqliteRunEvents(db)
        self.jobs = SqliteJobs(db)
        self.workers = SqliteWorkers(db)
        self.conversations = SqliteConversations(db)
        self.messages = SqliteMessages(db)
        self.feedbacks = SqliteFeedbacks(db)
        self.api_keys = SqliteApiKeys(db)
        self.admin_tokens = SqliteAdminTokens(db)
        self.providers = SqliteProviders(db, box)
        self.meta = SqliteMeta(db)
        self.knowledge_bases = SqliteKnowledgeBases(db)
        self.documents = SqliteDocuments(db)
        self.chunks = SqliteChunks(db)
        self.uploads = SqliteUploads(db)

    @classmethod
    async def open(cls, path: Path, data_dir: Path) -> SqliteStore:
        """Open the database file, applying pending migrations."""
        box = SecretBox.open(data_dir)
        return cls(await Database.open(path), box)
