"""`flask --app app <command>`: init-db, create-user, seed-demo, demo, dispatch, cron, purge-files,
import-partner."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from .extensions import db, migrations, upgrade_schema
from .ids import parse_id
from .models import Role
from .services.errors import DomainError
from .transaction import commit, rollback


def _upgrade_database() -> None:
    upgrade_schema(current_app)


@click.command(
    "db",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def db_command(ctx: click.Context):
    """Database migrations (Flask-Migrate: upgrade, downgrade, migrate, history…)."""
    from flask_migrate.cli import db as migrate_group

    migrations(ctx.ensure_object(ScriptInfo).load_app())
    migrate_group.main(args=ctx.args, prog_name=ctx.command_path, obj=ctx.obj, standalone_mode=False)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database schema to the latest migration, with the default e-mails."""
    from .services.notifications import ensure_templates

    _upgrade_database()
    created = ensure_templates()
    commit()
    click.echo("Database ready." + (f" {created} default e-mail templates created." if created else ""))


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "full_name", default="")
@with_appcontext
def create_user_command(email, role, password, full_name):
    """Create a back-office user."""
    from .services.users import create_user

    try:
        user = create_user(email, role, password, full_name=full_name)
    except DomainError as exc:
        rollback()
        raise click.ClickException(exc.message) from None
    commit()
    click.echo(f"User {user.email} created with role {user.role.value}.")


@click.command("seed-demo")
@click.option(
    "--admin-password", default=None, help="Password of admin@demo.trainadmin.fr (random if omitted)."
)
@with_appcontext
def seed_demo_command(admin_password):
    """Fill an empty database with realistic French demo data."""
    from .demo import DEMO_ADMIN_EMAIL, seed_demo

    password = admin_password or secrets.token_urlsafe(9)
    try:
        seed_demo(admin_password=password)
    except DomainError as exc:
        rollback()
        raise click.ClickException(exc.message) from None
    commit()
    click.echo(f"Demo data loaded. Log in as {DEMO_ADMIN_EMAIL} / {password}")


@click.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--keep", is_flag=True, help="Keep the existing demo database instead of starting afresh.")
@with_appcontext
def demo_command(host, port, keep):
    """Start afresh on the embedded SQLite database with demo data, and serve the back office."""
    from werkzeug.serving import run_simple

    from .demo import DEMO_ADMIN_EMAIL, seed_demo

    app: Flask = current_app._get_current_object()
    if not os.environ.get("TRAINADMIN_LOG_FORMAT"):  # the demo prints for a person at a terminal
        from .logs import configure

        configure("text")
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException("The demo runs on the embedded SQLite database only: unset DATABASE_URL.")
    password = os.environ.get("TRAINADMIN_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    if not keep:
        db.session.remove()
        db.engine.dispose()
        if url.database and url.database != ":memory:":
            Path(url.database).unlink(missing_ok=True)
        _upgrade_database()
        seed_demo(admin_password=password)
        commit()
    else:
        from .services.notifications import ensure_templates

        _upgrade_database()
        ensure_templates()
        commit()
    click.echo("")
    click.echo(f"  TrainAdmin demo: http://{host}:{port}/admin/")
    if not keep:
        click.echo(f"  Log in as {DEMO_ADMIN_EMAIL} / {password}")
    if not app.config["REDIS_URL"]:
        from .demo.ticks import TICK_INTERVAL, start_periodic_ticks

        start_periodic_ticks(app)
        where = (
            "sent through MAIL_SERVER" if app.config["MAIL_SERVER"] else "kept in the outbox (no MAIL_SERVER)"
        )
        click.echo(f"  E-mails due are prepared every {TICK_INTERVAL} s and {where}.")
    click.echo("")
    run_simple(host, port, app, use_reloader=False, threaded=True)


DISPATCH_COUNTS = (
    ("schedules_prepared", "due schedules prepared"),
    ("schedules_failed", "due schedules failed"),
    ("queued", "messages written to the outbox"),
    ("leased", "pending messages taken"),
    ("jobs", "send jobs enqueued"),
    ("sent", "sent"),
    ("kept", "kept in the outbox (no MAIL_SERVER)"),
    ("retrying", "refused, to try again"),
    ("failed", "failed"),
    ("unreachable", "not sent: SMTP server unreachable"),
    ("deferred", "not sent: Redis unreachable"),
)


@click.command("dispatch")
@click.option("--enqueue", is_flag=True, help="Hand the sending to the RQ workers instead of sending here.")
@with_appcontext
def dispatch_command(enqueue):
    """Run one notification tick now: write the due e-mails to the outbox and send them."""
    from .services.notifications import dispatch_tick

    counts = dispatch_tick(commit, inline=not enqueue)
    for key, label in DISPATCH_COUNTS:
        click.echo(f"{label}: {counts.get(key, 0)}")


@click.command("cron")
@with_appcontext
def cron_command():
    """Queue the periodic jobs and the due retries of the RQ jobs, until stopped; waits out a Redis
    that goes away. Exactly one in the whole installation."""
    from redis import Redis

    from .jobs.scheduling import Scheduling

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run in the web process.")
    scheduling = Scheduling(Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30))
    scheduling.install_signal_handlers()
    click.echo("Scheduling periodic jobs and retries (stop with Ctrl-C).")
    scheduling.run()


@click.command("purge-files")
@click.option(
    "--older-than",
    "minutes",
    default=60,
    show_default=True,
    type=click.IntRange(min=0),
    help="Leave alone files younger than this many minutes (uploads in progress).",
)
@click.option("--dry-run", is_flag=True, help="List the files without removing them.")
@with_appcontext
def purge_files_command(minutes, dry_run):
    """Remove stored files that no document refers to any more (left by a crash or a cascade)."""
    from .services.documents import purge_files

    removed = purge_files(grace_seconds=minutes * 60, dry_run=dry_run)
    for path in removed:
        click.echo(str(path))
    verb = "would be removed" if dry_run else "removed"
    click.echo(f"{len(removed)} file(s) {verb}.")


# How a run ended, as the command says it, and its exit status.
RUN_ENDINGS = {"succeeded": ("succeeded", 0), "with_rejections": ("finished with rejections", 2)}


@click.command("import-partner")
@click.argument("partner")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_partner_command(partner, file):
    """Import a partner's sessions now, from FILE or from the partner's feed, and print the counts.

    Exit status: 0 when every session was imported, 2 when some were rejected, 1 when the run failed
    (the file could not be read, or every session of it was rejected)."""
    import sqlalchemy as sa

    from .models import Partner
    from .services.imports import FeedError, perform_run, queue_run, read_limited

    found = db.session.scalar(sa.select(Partner).where(Partner.name == partner))
    if found is None and parse_id(partner) is not None:
        found = db.session.get(Partner, parse_id(partner))
    if found is None:
        raise click.ClickException(f"No partner named {partner!r}.")
    try:
        data = None
        if file is not None:
            with file.open("rb") as handle:
                data = read_limited(handle)
        run = queue_run(found, data=data, filename=file.name if file is not None else None, start=False)
    except (DomainError, FeedError) as exc:
        rollback()
        raise click.ClickException(exc.message) from None
    commit()
    run = perform_run(run.id, checkpoint=commit)
    ending, status = RUN_ENDINGS.get(run.status.value, ("failed", 1))
    click.echo(
        f"Import {run.id} of {found.name}: {ending}. "
        f"Created {run.created_count}, updated {run.updated_count}, unchanged {run.unchanged_count}, "
        f"rejected {run.rejected_count}, absent from the feed {run.flagged_count}."
    )
    for rejection in run.rejections:
        click.echo(f"  {rejection.line}\t{rejection.reference or ''}\t{rejection.reason}")
    if status == 1:
        raise click.ClickException(run.error or ending)
    if status == 2:
        click.echo(
            f"Finished with rejections: {run.rejected_count} session(s) rejected (exit status 2).", err=True
        )
        raise click.exceptions.Exit(2)


def register_cli(app: Flask) -> None:
    for command in (
        db_command,
        init_db_command,
        create_user_command,
        seed_demo_command,
        demo_command,
        dispatch_command,
        cron_command,
        purge_files_command,
        import_partner_command,
    ):
        app.cli.add_command(command)
