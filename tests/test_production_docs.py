"""The production documentation and the deploy examples name what the code really reads and runs."""

from __future__ import annotations

from pathlib import Path

from trainadmin.config import ENV_KEYS

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_documented():
    readme = (ROOT / "README.md").read_text()
    assert [key for key in ENV_KEYS if f"`{key}`" not in readme] == []


def test_deploy_examples_run_the_documented_processes():
    procfile = (ROOT / "deploy" / "Procfile").read_text()
    units = {
        name: (ROOT / "deploy" / "systemd" / f"trainadmin-{name}.service").read_text()
        for name in ("web", "worker", "cron")
    }
    readme = (ROOT / "README.md").read_text()
    assert "gunicorn -w 4" in procfile and "'app:app'" in units["web"]
    assert "flask --app app db upgrade" in procfile and "db upgrade" in units["web"]
    assert (
        "rq worker -w trainadmin.jobs.worker.Worker" in procfile
        and "trainadmin.jobs.worker.Worker" in units["worker"]
    )
    # The scheduling process is the project's own, which survives a Redis restart; systemd restarts
    # every background process anyway.
    assert "flask --app app cron" in procfile and "flask --app app cron" in units["cron"]
    assert "rq cron" not in procfile + units["cron"] and "--with-scheduler" not in procfile + units["worker"]
    assert all("Restart=always" in units[name] for name in ("worker", "cron"))
    for text in (procfile, units["cron"], readme):
        assert "exactly one" in text.lower()
    assert "/healthz" in readme and "/readyz" in readme and "TRAINADMIN_LOG_FORMAT" in readme
