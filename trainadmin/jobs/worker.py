"""An RQ worker that builds the app once, before it forks:

    rq worker --with-scheduler -w trainadmin.jobs.worker.Worker -u "$REDIS_URL" trainadmin

The plain `rq worker` imports TrainAdmin and builds its app again in every forked work horse
(about a second and a half per job); this one builds it in the worker process, and each work horse
inherits it. Jobs are the same; either worker runs them.
"""

from __future__ import annotations

from rq import Worker as RQWorker

from ..extensions import db
from . import worker_app


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        worker_app()

    def main_work_horse(self, job, queue):
        # A pooled connection must never serve two processes: the horse opens its own.
        with worker_app().app_context():
            db.engine.dispose(close=False)
        super().main_work_horse(job, queue)
