"""Jobs of the partner import: one run, and the minute job that queues the partners' scheduled runs.

Register the minute job in `rq cron` (trainadmin/jobs/cron.py):
    cron.register(import_due_partners, queue_name=QUEUE_NAME, cron="* * * * *")
"""

from __future__ import annotations

from ..services import imports as import_runs
from ..transaction import commit
from . import job


@job
def run_import(run_id: int) -> dict | None:
    """Run one import; running it again changes nothing once the run has ended, and resumes a run
    whose worker died after the last batch it committed."""
    run = import_runs.perform_run(run_id, checkpoint=commit)
    if run is None:
        return None
    return {"id": run.id, "status": run.status.value, **counts(run)}


def counts(run) -> dict[str, int]:
    return {
        "created": run.created_count,
        "updated": run.updated_count,
        "unchanged": run.unchanged_count,
        "rejected": run.rejected_count,
        "flagged": run.flagged_count,
    }


@job
def import_due_partners() -> list[int]:
    """Every minute: a run for each active partner whose schedule matches now and that has no run in
    progress. Each run's job is queued once the run rows are committed."""
    return [run.id for run in import_runs.queue_due_runs()]
