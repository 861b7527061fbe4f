"""Parts of the admin pages that are the same for every request of one role in one language: the
main menu and the filter groups of a list. Flask-Admin draws them again on every page (an access
check, a URL and a lazy translation per menu item and per filter option: about a quarter of the
session list's time); here each is made once per process and reused."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from flask_babel import get_locale
from flask_login import current_user


def main_menu(admin_view, draw: Callable[[], str]) -> str:
    """The menu of the navigation bar: it depends on the role (which views are reachable), the
    language, the page (which item is active) and the address the app is mounted at, nothing else."""
    menus = admin_view.admin.__dict__.setdefault("_ta_menus", {})
    role = current_user.role if current_user.is_authenticated else None
    key = (role, str(get_locale()), admin_view.endpoint, request.script_root)
    html = menus.get(key)
    if html is None:
        html = menus[key] = draw()  # the macro's own output: Markup, escaped by Jinja
    return html


class FilterGroupsMixin:
    """The filters of a list with their labels translated, once per language (the filter options are
    read once, when the view is made; only their labels change with the language)."""

    def _get_filter_groups(self):
        cache = self.__dict__.setdefault("_ta_filter_groups", {})
        key = (str(get_locale()), id(self._filter_groups))
        if key not in cache:
            cache[key] = super()._get_filter_groups()
        return cache[key]


class StaticUrlMixin:
    """The addresses of Flask-Admin's scripts and style sheets (about twenty a page, each through
    `url_for`), built once per process: they only depend on the file and the app's mount point."""

    def get_url(self, endpoint: str, **kwargs) -> str:
        if not endpoint.endswith(".static"):
            return super().get_url(endpoint, **kwargs)
        urls = self.__dict__.setdefault("_ta_static_urls", {})
        key = (endpoint, request.script_root, *sorted(kwargs.items()))
        url = urls.get(key)
        if url is None:
            url = urls[key] = super().get_url(endpoint, **kwargs)
        return url


def init_page_parts(app: Flask) -> None:
    app.jinja_env.globals["cached_main_menu"] = main_menu
