"""The main menu and the filter labels are made once per role, language and page, then reused: a
viewer never gets the menu drawn for an administrator, nor an English reader the French one."""

from __future__ import annotations

import json
import re

from flask_admin.contrib.sqla import ModelView
from flask_admin.model.base import ViewArgs

from trainadmin.models import Role

LIST = "/admin/sessions/"


def _menu(page: str) -> str:
    return page.split('id="admin-navbar-collapse"', 1)[1].split('id="user-menu"', 1)[0]


def test_the_menu_follows_the_role_the_language_and_the_page(db, login_as):
    admin_page = login_as(Role.ADMIN).get(LIST).get_data(as_text=True)
    assert 'href="/admin/users/"' in _menu(admin_page)
    viewer = login_as(Role.VIEWER)
    viewer_menu = _menu(viewer.get(LIST).get_data(as_text=True))
    assert 'href="/admin/users/"' not in viewer_menu  # administrators only
    assert 'href="/admin/sessions/"' in viewer_menu
    assert "Formations" in viewer_menu
    english_menu = _menu(login_as(Role.MANAGER, locale="en").get(LIST).get_data(as_text=True))
    assert "Trainings" in english_menu and "Formations" not in english_menu
    # The active item is the page's own.
    active = re.findall(r'class="dropdown-item active[^"]*"\s+href="([^"]+)"', viewer_menu)
    assert active == ["/admin/sessions/"], active
    trainings_menu = _menu(viewer.get("/admin/trainings/").get_data(as_text=True))
    active = re.findall(r'class="dropdown-item active[^"]*"\s+href="([^"]+)"', trainings_menu)
    assert active == ["/admin/trainings/"], active


def _filter_groups(page: str) -> dict:
    return json.loads(re.search(r'id="filter-groups-data" class="d-none">(.*?)</div>', page).group(1))


def test_the_filter_labels_follow_the_language(db, login_as):
    french = _filter_groups(login_as(Role.MANAGER, locale="fr").get(LIST).get_data(as_text=True))
    english = _filter_groups(login_as(Role.VIEWER, locale="en").get(LIST).get_data(as_text=True))
    assert "Date de début" in french and "Start date" not in french
    assert "Start date" in english and "Date de début" not in english
    assert english["Start date"][0]["operation"] == "equals"
    again = _filter_groups(login_as(Role.ADMIN, locale="fr").get(LIST).get_data(as_text=True))
    assert again == french


def test_the_list_links_are_the_ones_url_for_writes(app, db):
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "sessions")
    search = 'Élodie & co + 50% "l\'été" /?#'
    cases = [
        ViewArgs(),
        ViewArgs(page=3, page_size=100),
        ViewArgs(page=1, sort=4, sort_desc=1, search=search),
        ViewArgs(search=search, filters=[(0, "publication", "DRAFT"), (1, "status", "é à")]),
        ViewArgs(page=2, extra_args={"tab": "x y", "empty": None}),
    ]
    with app.test_request_context("/admin/sessions/"):
        for args in cases:
            assert view._get_list_url(args) == ModelView._get_list_url(view, args), args.__dict__
