"""The session list page, drawn by a template of its own from plain rows.

The list is the page people open most. Through Flask-Admin it took about 27,000 Python calls: its
template chain (`model/list.html` → `master.html` → `base.html`, a macro per menu, filter, action,
pager link…) and the ORM building a session object per row. Here the parts that only depend on
the role, the language and the mount point (menu, filter and action menus, the create dialog, the
scripts) are drawn once by Flask-Admin's own macros (`_list_chrome.html`), and each request fills
one flat template (`list_page.html`) with what changes: the counts, the links, the rows read as
plain rows (`with_entities`) through the view's own scoped query (`get_query`, `get_count_query`).

What users see and can do is the same markup as Flask-Admin's page (tests/test_session_list_page.py
compares both, normalised, for several pages, roles and languages); a case this page does not
draw (see `SessionListPage.supports`) goes through Flask-Admin's page."""

from __future__ import annotations

from math import ceil

from flask import current_app, g, get_flashed_messages, render_template, request, url_for
from flask_admin import babel as admin_babel
from flask_admin import helpers as admin_helpers
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import aliased

from ..models import Training, TrainingSession
from ..security import allowed_handler_hashes, content_security_policy, csp_nonce
from .labels import enum_label
from .list_statements import ListStatements
from .session_rows import PageCells, plain_rows_html

PART_MARKER = "<!--ta-part-->"
NONCE_PLACEHOLDER = Markup('nonce="ta-nonce"')
PAGER_SIGNS = (Markup("&laquo;"), Markup("&lt;"), Markup("&gt;"), Markup("&raquo;"))
PARTS = (
    "title",
    "head",
    "navbar",
    "page_title",
    "filter_options",
    "actions_dropdown",
    "create_button",
    "create_dialog",
    "scripts",
    "filter_groups",
    "tail",
)

#: The training of each row, by its name (an alias: a filter on the training joins it too).
TRAINING = aliased(Training, name="list_training")

#: What the page reads of each session: its id, the columns it shows, the training's name.
ROW_COLUMNS = (
    TrainingSession.id,
    TrainingSession.code,
    TrainingSession.label,
    TRAINING.name.label("training"),
    TrainingSession.session_type,
    TrainingSession.start_date,
    TrainingSession.end_date,
    TrainingSession.duration_days,
    TrainingSession.sequence_count,
    TrainingSession.enrolled_count,
    TrainingSession.publication,
    TrainingSession.status,
)


def rows_query(query):
    """The view's scoped list query, reading plain rows instead of sessions."""
    return query.with_entities(*ROW_COLUMNS).outerjoin(TRAINING, TRAINING.id == TrainingSession.training_id)


class SessionListPage:
    """Draws the session list for one view; the chrome is kept per role, language and mount point."""

    def __init__(self, view) -> None:
        self.view = view
        self.chromes: dict[tuple, dict] = {}
        self.statements = ListStatements()

    def supports(self) -> bool:
        """The cases Flask-Admin's page draws and this one does not (inline editing, modal forms,
        column help, a column without its own cell), which the sessions list does not use."""
        view = self.view
        cells = PageCells.NAMES
        return (
            not view.column_editable_list
            and not (view.create_modal or view.edit_modal or view.details_modal)
            and not view.column_descriptions
            and not view.simple_list_pager
            and all(name in cells for name, _label in view._list_columns)
        )

    # --- Once per role, language and mount point ---------------------------------------------------

    def chrome(self) -> dict:
        role = current_user.role if current_user.is_authenticated else None
        locale = str(get_locale())
        key = (role, locale, request.script_root, self.view.endpoint)
        chrome = self.chromes.get(key)
        if chrome is None:
            chrome = self.chromes[key] = self._draw_chrome(locale)
        return chrome

    def _draw_chrome(self, locale: str) -> dict:
        view = self.view
        # Read at call time: TrainAdmin's wording replaces these (labels.install_admin_wording).
        admin_gettext, admin_ngettext = admin_babel.gettext, admin_babel.ngettext
        actions, actions_confirmation = view.get_actions_list()
        html = render_template(
            "admin/sessions/_list_chrome.html",
            admin_view=view,
            admin_base_template=view.admin.theme.base_template,
            admin_csp_nonce_attribute=NONCE_PLACEHOLDER,
            _gettext=admin_gettext,
            _ngettext=admin_ngettext,
            h=admin_helpers,
            get_url=view.get_url,
            config=current_app.config,
            theme=view.admin.theme,
            filters=view._filters,
            filter_groups=view._get_filter_groups(),
            actions=actions,
            actions_confirmation=actions_confirmation,
            **view._template_args,
        )
        # Pieces of a page Jinja has just drawn (and escaped), cut at the markers.
        pieces = (Markup(part.strip()) for part in html.split(PART_MARKER))  # noqa: S704
        parts = dict(zip(PARTS, pieces, strict=True))
        columns = []
        for index, (name, label) in enumerate(view._list_columns):
            sortable = view.is_sortable(name)
            title = admin_gettext("Sort by %(name)s", name=label) if sortable else ""
            # The label as Jinja drew the lazy translation (its `__html__`, the text as it is), once.
            label = Markup(str(label)) if hasattr(label, "__html__") else label  # noqa: S704
            columns.append((index, name.replace(".", "-"), label, sortable, title))
        other = "en" if locale == "fr" else "fr"
        # The inline handlers a page can hold are those of these parts and of the page's template:
        # what each request adds (counts, links, rows, messages, the search) is escaped text or
        # addresses, never an `on…` attribute. The policy's hashes are found here once.
        env = current_app.jinja_env
        template = env.loader.get_source(env, "admin/sessions/list_page.html")[0]
        parts["handler_hashes"] = allowed_handler_hashes("".join([template, *map(str, parts.values())]))
        parts.update(
            actions=bool(actions),
            columns=columns,
            texts={
                "list": admin_gettext("List"),
                "drafts": gettext("Drafts"),
                "export": admin_gettext("Export"),
                "rows": admin_gettext("items"),
                "search": admin_gettext("Search"),
                "placeholder": admin_gettext("%(placeholder)s", placeholder=view.search_placeholder()),
                "apply": admin_gettext("Apply"),
                "reset_filters": admin_gettext("Reset Filters"),
                "select_all": admin_gettext("Select all records"),
                "select_record": admin_gettext("Select record"),
                "empty": view.get_empty_list_message(),
                "log_out": gettext("Log out"),
                "my_calendar": gettext("My calendar"),
                "other_language": "English" if locale == "fr" else "Français",
                "page_sizes": {
                    size: admin_ngettext(f"{size} item", f"{size} items", size)
                    for size in view.page_size_options
                },
            },
            urls={
                "locale": url_for("auth.set_locale", code=other),
                "logout": url_for("auth.logout"),
                "my_calendar": url_for("my_calendar.index"),
                "index": view.get_url(".index_view"),
                "action": view.get_url(".action_view"),
            },
        )
        return parts

    # --- Each request -------------------------------------------------------------------------------

    def render(self):
        """The page, with its Content-Security-Policy (its handlers' hashes found with the chrome)."""
        view = self.view
        chrome = self.chrome()
        args = view._get_list_extra_args()
        sort_column = view._get_column_by_idx(args.sort)
        sort_column = sort_column[0] if sort_column is not None else None
        page_size = view.get_safe_page_size(args.page_size)
        if self.statements.supports(view, args):
            count, rows, fields = self.statements.read(view, args, sort_column, page_size)
        else:
            count, rows, fields = self._read(args, sort_column, page_size)
        num_pages = int(ceil(count / float(page_size))) if page_size else 0
        html = self._page(chrome, view, args, count, rows, fields, page_size, num_pages)
        response = current_app.make_response(html)
        response.headers["Content-Security-Policy"] = content_security_policy(
            csp_nonce(), chrome["handler_hashes"]
        )
        return response

    def _page(self, chrome, view, args, count, rows, fields, page_size, num_pages) -> str:
        list_url = view._get_list_url
        links = view.list_links(args)
        nonce = view.admin.csp_nonce_generator() if view.admin.csp_nonce_generator else None
        nonce_attribute = Markup('nonce="{}"').format(nonce) if nonce else Markup("")
        names = [name for name, _label in view._list_columns]
        urls = view.row_action_urls()
        drafts_active = request.args.get("flt0_publication_enumequal") == "DRAFT"
        # The template reads nothing of Flask's context processors (g, session, current_user,
        # csrf_token) but the request, given here: rendered without running them.
        return current_app.jinja_env.get_template("admin/sessions/list_page.html").render(
            request=request,
            chrome=chrome,
            texts=chrome["texts"],
            head=chrome["head"].replace(NONCE_PLACEHOLDER, nonce_attribute),
            scripts=chrome["scripts"].replace(NONCE_PLACEHOLDER, nonce_attribute),
            tail=chrome["tail"].replace(NONCE_PLACEHOLDER, nonce_attribute),
            user=current_user if current_user.is_authenticated else None,
            role=enum_label(current_user.role) if current_user.is_authenticated else "",
            csrf=generate_csrf(),
            messages=get_flashed_messages(with_categories=True),
            count=count,
            count_text=view.count_text(count) if count else "",
            drafts_url=view.get_drafts_url(),
            drafts_active=drafts_active,
            export_urls=[
                (kind, view.get_url(".export", export_type=kind, **request.args))
                for kind in view.export_types
            ]
            if view.can_export
            else None,
            can_set_page_size=view.can_set_page_size,
            page_size=page_size,
            default_page_size=view.page_size,
            page_size_urls=[
                (size, list_url(args.clone(page_size=size or view.page_size)))
                for size in view.page_size_options
            ],
            search_supported=view._search_supported,
            search=args.search,
            sort=args.sort,
            sort_desc=args.sort_desc,
            extra_args=args.extra_args,
            filter_args=view._get_filters(args.filters),
            active_filters=args.filters,
            filters=view._filters,
            return_url=list_url(args),
            clear_search_url=list_url(args.clone(page=0, search=None, filters=None)),
            export_note=view.export_note(),
            headers=self._headers(chrome, args, links),
            rows=plain_rows_html(
                rows, fields, names, urls, chrome["texts"]["select_record"], chrome["actions"]
            )
            if rows
            else None,
            pager=pager_links(
                args.page or 0, num_pages, lambda p: links(p or None, args.sort, args.sort_desc)
            ),
        )

    def _read(self, args, sort_column, page_size: int) -> tuple[int, list, tuple[str, ...]]:
        """Through Flask-Admin's `get_list` (a list with filters): the count, the rows and their fields."""
        view = self.view
        g.list_page_rows = True
        try:
            count, query = view.get_list(
                args.page,
                sort_column,
                args.sort_desc,
                args.search,
                args.filters,
                execute=False,
                page_size=page_size,
            )
            # Plain rows, read on the session's connection without the ORM's result machinery.
            result = query.session.connection().execute(query.statement)
            fields = tuple(result.keys())
            rows = result.all()
        finally:
            g.list_page_rows = False
        return count, rows, fields

    def _headers(self, chrome: dict, args, links) -> list[tuple]:
        """(class, label, link, title, arrow) of each column: arrow is "down", "up" or ""."""
        headers = []
        for index, css, label, sortable, title in chrome["columns"]:
            if not sortable:
                headers.append((css, label, None, "", ""))
            elif args.sort == index:
                link = links(args.page, index, not args.sort_desc)
                headers.append((css, label, link, title, "down" if args.sort_desc else "up"))
            else:
                headers.append((css, label, links(args.page, index, None), title, ""))
        return headers


def pager_links(page: int, pages: int, link) -> list[tuple[str, str | None, str]]:
    """Flask-Admin's pager (lib.html `pager`): (state, link or None, text) of each item."""
    if pages <= 1:
        return []
    low, high = page - 3, page + 3 + 1
    if low < 0:
        high -= low
    if high >= pages:
        low = low - high + pages
    low, high = max(low, 0), min(high, pages)
    first, previous, following, last = PAGER_SIGNS
    items = [("", link(0), first) if low > 0 else ("disabled", None, first)]
    items.append(("", link(page - 1), previous) if page > 0 else ("disabled", None, previous))
    for number in range(low, high):
        items.append(
            ("active", None, str(number + 1)) if number == page else ("", link(number), str(number + 1))
        )
    items.append(("", link(page + 1), following) if page + 1 < pages else ("disabled", None, following))
    items.append(("", link(pages - 1), last) if high < pages else ("disabled", None, last))
    return items
