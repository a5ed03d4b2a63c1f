"""The SurrealDB adapter of the `Store` port."""

from __future__ import annotations

from pathlib import Path

from flowstead.store.closing import ClosingStore
from flowstead.store.secretbox import SecretBox
from flowstead.store.surreal.access import SurrealAdminTokens, SurrealApiKeys
from flowstead.store.surreal.chat import SurrealConversations, SurrealMessages
from flowstead.store.surreal.database import SurrealDatabase, SurrealTarget
from flowstead.store.surreal.events import SurrealRunEvents
from flowstead.store.surreal.feedback import SurrealFeedbacks
from flowstead.store.surreal.jobs import SurrealJobs, SurrealWorkers
from flowstead.store.surreal.knowledge import (
    SurrealChunks,
    SurrealDocuments,
    SurrealKnowledgeBases,
)
from flowstead.store.surreal.runs import SurrealNodeExecutions, SurrealRuns
from flowstead.store.surreal.settings import SurrealMeta, SurrealProviders
from flowstead.store.surreal.uploads import SurrealUploads
from flowstead.store.surreal.workflows import SurrealWorkflows


class SurrealStore(ClosingStore):
    def __init__(self, db: SurrealDatabase, box: SecretBox) -> None:
        self._db = db
        self.workflows = SurrealWorkflows(db)
        self.runs = SurrealRuns(db)
        self.nodes = SurrealNodeExecutions(db)
        self.events = SurrealRunEvents(db)
        self.jobs = SurrealJobs(db)
        self.workers = SurrealWorkers(db)
        self.conversations = SurrealConversations(db)
        self.messages = SurrealMessages(db)
        self.feedbacks = SurrealFeedbacks(db)
        self.api_keys = SurrealApiKeys(db)
        self.admin_tokens = SurrealAdminTokens(db)
        self.providers = SurrealProviders(db, box)
        self.meta = SurrealMeta(db)
        self.knowledge_bases = SurrealKnowledgeBases(db)
        self.documents = SurrealDocuments(db)
        self.chunks = SurrealChunks(db)
        self.uploads = SurrealUploads(db)

    @classmethod
    async def open(cls, target: SurrealTarget, data_dir: Path) -> SurrealStore:
        """Connect and apply pending migrations."""
        box = SecretBox.open(data_dir)
        return cls(await SurrealDatabase.open(target), box)
