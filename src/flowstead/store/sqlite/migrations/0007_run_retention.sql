-- Run retention deletes runs by the time they finished (`Runs.delete_finished`).

CREATE INDEX runs_by_finished ON runs (finished_at);
