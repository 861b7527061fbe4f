"""The peer of the session list benchmark: a stock Flask-Admin list of the same sessions.

A tiny Flask app over the same database with a plain `flask_admin.contrib.sqla.ModelView` on
`TrainingSession`: the same 11 columns, page size, search columns and newest-first order as
TrainAdmin's list, Flask-Admin's French catalogue, and nothing else (no login, no CSRF, no
security headers, no exports note): what a team would get from Flask-Admin out of the box.

    from peer.app import create_peer_app      (bench/ on sys.path, as bench/compare.py does)
"""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel

from trainadmin.extensions import db
from trainadmin.models import TrainingSession

LIST_URL = "/admin/trainingsession/"


class PeerSessionView(ModelView):
    # The same columns, search and order as TrainAdmin's list, written out rather than imported:
    # the peer loads nothing of TrainAdmin but its models (its memory is measured by bench/web_rss.py).
    column_list = (
        "code",
        "label",
        "training",
        "session_type",
        "start_date",
        "end_date",
        "duration_days",
        "sequence_count",
        "enrolled_count",
        "publication",
        "status",
    )
    column_searchable_list = ("code", "label")
    column_sortable_list = (
        "code",
        "label",
        "start_date",
        "end_date",
        "session_type",
        "publication",
        "status",
    )
    column_default_sort = [("year", True), ("id", True)]
    page_size = 20
    can_set_page_size = True
    column_auto_select_related = True  # the training of each row in the same query, as Flask-Admin does


def create_peer_app(database_url: str) -> Flask:
    app = Flask("trainadmin_peer")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SECRET_KEY="peer",  # noqa: S106 (a throwaway app of the benchmark)
        BABEL_DEFAULT_LOCALE="fr",
    )
    db.init_app(app)
    Babel(app, locale_selector=lambda: "fr")
    admin = Admin(app, name="Peer", theme=Bootstrap4Theme(fluid=True))
    admin.add_view(PeerSessionView(TrainingSession, db))
    return app
