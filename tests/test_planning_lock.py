"""A slot moved (or a sequence changed) in a session that got locked meanwhile — a collaborator
enrolled while the manager's form was open: the refusal says why, in the form, not a bare error."""

from __future__ import annotations

from datetime import date
from html import unescape

from flask_babel import force_locale

from trainadmin.services.sessions.lock import lock_message

from . import factories
from .test_planning import post_json, slot_data


def reason(session) -> str:
    with force_locale("fr"):
        return lock_message(session)


def test_moving_a_slot_of_a_locked_session_gives_the_lock_reason(manager, db):
    slot = factories.make_slot(days=[date(2027, 5, 15)])
    sequence = slot.sequence
    session = sequence.session
    url = f"/admin/sessions/slot/save/?id={session.id}&sequence={sequence.id}&slot={slot.id}"
    assert (
        manager.get(
            f"/admin/sessions/slot/form/?id={session.id}&sequence={sequence.id}&slot={slot.id}"
        ).status_code
        == 200
    )
    factories.enrol(session)  # meanwhile, someone enrols: the session is locked for a manager

    response = post_json(manager, url, slot_data("2027-05-16"))
    assert response.status_code == 403
    answer = response.get_json()
    assert answer == {"ok": False, "errors": {"_form": reason(session)}}
    assert [d.day for d in slot.dates] == [date(2027, 5, 15)], "nothing moved"

    # Without JavaScript, the page that answers says the same.
    page = manager.post(url, data={"csrf_token": manager.csrf, **slot_data("2027-05-16")})
    assert page.status_code == 403
    assert reason(session) in unescape(page.get_data(as_text=True))


def test_changing_or_moving_a_sequence_of_a_locked_session_gives_the_reason(manager, db):
    first = factories.make_sequence(label="Jour 1")
    session = first.session
    second = factories.make_sequence(session, label="Jour 2", position=1)
    factories.enrol(session)
    for url, data in (
        (f"/admin/sessions/sequence/save/?id={session.id}&sequence={first.id}", {"label": "Renommée"}),
        (f"/admin/sessions/sequence/move/?id={session.id}&sequence={second.id}", {"offset": "-1"}),
    ):
        response = post_json(manager, url, data)
        assert response.status_code == 403, url
        assert response.get_json()["errors"] == {"_form": reason(session)}, url
