"""Parts of the admin pages that are the same for every request of one role in one language: the
main menu and the filter groups of a list. Flask-Admin draws them again on every page (an access
check, a URL and a lazy translation per menu item and per filter option: about a quarter of the
session list's time); here each is made once per process and reused."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote_plus

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import iter_multi_items


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
    `url_for`) and of the views without arguments, built once per process: they only depend on the
    endpoint, the file and the app's mount point."""

    def get_url(self, endpoint: str, **kwargs) -> str:
        if kwargs and not endpoint.endswith(".static"):
            return super().get_url(endpoint, **kwargs)
        urls = self.__dict__.setdefault("_ta_urls", {})
        key = (endpoint, request.blueprint, request.script_root, *sorted(kwargs.items()))
        url = urls.get(key)
        if url is None:
            url = urls[key] = super().get_url(endpoint, **kwargs)
        return url


#: The characters werkzeug leaves unquoted in a query string (werkzeug.urls._urlencode).
QUERY_SAFE = "!$'()*,/:;?@"


class ListUrlMixin:
    """The links of a list page to itself (sort, pager, page size: about twenty a page) written as
    `url_for` writes them, from the list's address built once: the same text without a route lookup
    per link."""

    def _get_list_url(self, view_args) -> str:
        if current_app.url_map.sort_parameters or current_app.url_default_functions:
            return super()._get_list_url(view_args)
        return self.list_links(view_args)(view_args.page, view_args.sort, view_args.sort_desc)

    def list_links(self, view_args) -> Callable[[int | None, int | None, bool | None], str]:
        """(page, sort, desc) → the list's address with the other arguments of `view_args`, written
        once: the pager and the column headers (about fifteen links) differ only by these three,
        which come first."""
        extra = view_args.extra_args
        if (
            current_app.url_map.sort_parameters
            or current_app.url_default_functions
            or any(key in extra for key in ("page", "sort", "desc", "search", "page_size"))
        ):
            return lambda page, sort, desc: super(ListUrlMixin, self)._get_list_url(
                view_args.clone(page=page, sort=sort, sort_desc=desc)
            )
        args = {"search": view_args.search}
        args.update(extra)
        args["page_size"] = self.get_safe_page_size(view_args.page_size)
        args.update(self._get_filters(view_args.filters))
        rest = [query_item(key, value) for key, value in iter_multi_items(args) if value is not None]
        base = self.get_url(".index_view")

        def link(page, sort, desc) -> str:
            first = [query_item("page", page)] if page else []
            if sort is not None:
                first.append(query_item("sort", sort))
            if desc:
                first.append(query_item("desc", 1))
            query = "&".join(first + rest)
            return f"{base}?{query}" if query else base

        return link


@lru_cache(maxsize=4096)
def query_item(key, value) -> str:
    """`key=value` as `urlencode` writes it; a list page writes the same few pairs in all its
    links (twenty links, five or six pairs each)."""
    return f"{quote_plus(str(key), safe=QUERY_SAFE)}={quote_plus(str(value), safe=QUERY_SAFE)}"


def init_page_parts(app: Flask) -> None:
    app.jinja_env.globals["cached_main_menu"] = main_menu
