"""The `ingest` job: index one knowledge document; a passing failure is tried again."""

from __future__ import annotations

from flowstead.knowledge.ingest import Ingestor
from flowstead.store.records import Job


class RetryLater(Exception):
    """Raised so the worker queues the job again (it does so for any exception)."""


class IngestionJobs:
    def __init__(self, ingestor: Ingestor) -> None:
        self._ingestor = ingestor

    async def handle(self, job: Job) -> None:
        """Ingest the job's document; the outcome is recorded on the document."""
        result = await self._ingestor.ingest(
            str(job.payload.get("document_id", "")),
            final_attempt=job.attempts >= job.max_attempts,
        )
        if result.status == "retry":
            raise RetryLater(result.error)
