"""How values show in lists, details and exports: French dates and numbers, translated enums (the
exports keep numbers and dates typed and make their files in `spreadsheets.py`)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum

from flask_admin.model import typefmt
from flask_babel import gettext

from ..i18n import show_date, show_datetime, show_decimal
from . import labels


def _format_bool(view, value, name=None):
    return gettext("Yes") if value else gettext("No")


def _format_enum(view, value, name=None):
    return labels.enum_label(value)


def _format_decimal(view, value, name=None):
    return show_decimal(value)


def _format_list(view, values, name=None):
    return ", ".join(str(v) for v in values)


TYPE_FORMATTERS = dict(typefmt.BASE_FORMATTERS)
TYPE_FORMATTERS.update(
    {
        type(None): typefmt.empty_formatter,
        bool: _format_bool,
        datetime: lambda view, value, name=None: show_datetime(value),
        date: lambda view, value, name=None: show_date(value),
        time: lambda view, value, name=None: value.strftime("%H:%M"),
        Decimal: _format_decimal,
        Enum: _format_enum,
        list: _format_list,
    }
)

EXPORT_FORMATTERS = dict(TYPE_FORMATTERS)
EXPORT_FORMATTERS.update({bool: _format_bool, list: _format_list})
