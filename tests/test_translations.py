"""The translation catalogue is complete and in step with the code.

No application and no database: these tests only read babel.cfg, the sources and
trainadmin/translations/. When one fails, run `scripts/translations all`, translate what
is new in trainadmin/translations/fr/LC_MESSAGES/messages.po, run it again and commit
the .pot, the .po and the .mo files.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "trainadmin" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("fr", "en")
FIX = "run `scripts/translations all`, translate the new French entries, then run it again"

# %(name)s with optional flags, width and precision, as Python's %-formatting reads it.
PLACEHOLDER = re.compile(r"%\((?P<name>[^)]*)\)[#0 +-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]")


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _mo_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"


def _read_po(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _forms(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple of forms: one, or one per plural form.

    Babel gives plural forms as a tuple or, from read_po and read_mo, as a list."""
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def _key(message: Message) -> tuple[str | tuple[str, ...], str | None]:
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return msgid, message.context


def _entries(catalog: Catalog) -> dict[tuple[str | tuple[str, ...], str | None], Message]:
    """The catalogue's messages, header left out."""
    return {_key(message): message for message in catalog if message.id}


def _show(keys) -> str:
    return "\n".join(
        f"  {msgid!r}" + (f" (context {context!r})" if context else "")
        for msgid, context in sorted(keys, key=repr)
    )


def _placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


@pytest.fixture(scope="module")
def template() -> Catalog:
    assert POT.is_file(), f"{POT.relative_to(ROOT)} is missing: {FIX}"
    return _read_po(POT)


@pytest.fixture(scope="module")
def french() -> Catalog:
    return _read_po(_po_path("fr"), "fr")


def test_template_is_up_to_date_with_the_sources(template: Catalog):
    """Extract with babel.cfg, as `scripts/translations extract` does, and compare the msgids."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    extracted = Catalog()
    for filename, lineno, msgid, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        extracted.add(msgid, None, [(filename, lineno)], context=context)

    assert len(_entries(extracted)) > 0, "nothing was extracted: check babel.cfg"
    in_code, in_pot = set(_entries(extracted)), set(_entries(template))
    missing, stale = in_code - in_pot, in_pot - in_code
    assert not missing and not stale, (
        f"trainadmin/translations/messages.pot is out of date with the code: {FIX}.\n"
        + (f"In the code but not in messages.pot:\n{_show(missing)}\n" if missing else "")
        + (f"In messages.pot but no longer in the code:\n{_show(stale)}\n" if stale else "")
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_the_template_messages(template: Catalog, locale: str):
    catalog = _read_po(_po_path(locale), locale)
    in_pot, in_po = set(_entries(template)), set(_entries(catalog))
    missing, stale = in_pot - in_po, in_po - in_pot
    assert not missing and not stale, (
        f"{_po_path(locale).relative_to(ROOT)} is out of date with messages.pot: {FIX}.\n"
        + (f"Missing:\n{_show(missing)}\n" if missing else "")
        + (f"No longer in messages.pot:\n{_show(stale)}\n" if stale else "")
    )


def test_every_message_has_a_french_translation(template: Catalog, french: Catalog):
    entries = _entries(french)
    untranslated = []
    for key in _entries(template):
        message = entries.get(key)
        if message is None or message.fuzzy or not all(form.strip() for form in _forms(message.string)):
            untranslated.append(key)
    assert not untranslated, (
        f"{len(untranslated)} message(s) without a reviewed French translation (empty or fuzzy) in "
        f"trainadmin/translations/fr/LC_MESSAGES/messages.po:\n{_show(untranslated)}\n"
        f"Translate them, then run `scripts/translations all`."
    )


def test_french_translations_keep_the_placeholders(french: Catalog):
    wrong = []
    for (msgid, context), message in _entries(french).items():
        sources = _forms(msgid)
        translations = _forms(message.string)
        for index, translation in enumerate(translations):
            if not translation:
                continue
            if len(sources) == 1:
                expected = _placeholders(sources[0])
                ok = _placeholders(translation) == expected
            else:
                # Plural forms: the last one carries every placeholder, the others may drop the count.
                expected = set().union(*(_placeholders(source) for source in sources))
                found = _placeholders(translation)
                ok = found == expected if index == len(translations) - 1 else found <= expected
            if not ok:
                wrong.append(
                    f"  {msgid!r}{f' (context {context!r})' if context else ''}: "
                    f"{sorted(expected)} in English, {sorted(_placeholders(translation))} in {translation!r}"
                )
    assert not wrong, (
        "French translations whose %(name)s placeholders differ from the English:\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_is_up_to_date(locale: str):
    mo_path = _mo_path(locale)
    assert mo_path.is_file(), f"{mo_path.relative_to(ROOT)} is missing: run `scripts/translations compile`"

    buffer = BytesIO()
    write_mo(buffer, _read_po(_po_path(locale), locale))  # as `pybabel compile`: fuzzy entries left out
    buffer.seek(0)
    expected = read_mo(buffer)
    with mo_path.open("rb") as fh:
        committed = read_mo(fh)

    def messages(catalog: Catalog) -> dict:
        return {key: _forms(message.string) for key, message in _entries(catalog).items()}

    assert messages(committed) == messages(expected), (
        f"{mo_path.relative_to(ROOT)} does not match {_po_path(locale).relative_to(ROOT)}: "
        "run `scripts/translations compile` and commit the .mo file"
    )
    assert committed.plural_forms == expected.plural_forms, (
        f"{mo_path.relative_to(ROOT)} has other plural forms than its .po: run `scripts/translations compile`"
    )
