"""Every stored value has a label in the user's language."""

from __future__ import annotations

import enum
import json
import re

from flask_babel import force_locale

from trainadmin import models
from trainadmin.admin_views.labels import ENUM_LABELS, enum_label
from trainadmin.models import RequestStatus, Role, SequenceStatus, WorkflowStatus

ENUMS = [obj for obj in vars(models).values() if isinstance(obj, type) and issubclass(obj, enum.Enum)]


def test_every_enum_member_has_a_label():
    missing = [f"{cls.__name__}.{m.name}" for cls in ENUMS for m in cls if (cls, m.value) not in ENUM_LABELS]
    assert not missing


def test_same_value_in_different_enums_keeps_its_own_label(app):
    with app.test_request_context(), force_locale("fr"):
        assert enum_label(WorkflowStatus.CLOSED) == "Clôturé"
        assert enum_label(SequenceStatus.CLOSED) == "Clôturée"
        assert enum_label(WorkflowStatus.CANCELLED) == "Annulé"
        assert enum_label(RequestStatus.CANCELLED) == "Annulée"
        assert enum_label(SequenceStatus.PLANNED) == "Planifiée"


def test_list_filters_offer_enum_labels_in_the_readers_language(login_as, db):
    """The « Statut du workflow » filter of the session list lists « Créé », not the English msgid."""

    def options(client):
        html = client.get("/admin/sessions/").get_data(as_text=True)
        found = re.search(r'"arg": "status_enumequal".*?"options": (\[\[.*?\]\])', html)
        return dict(json.loads(found.group(1)))

    french = options(login_as(Role.MANAGER))
    assert french["CREATED"] == "Créé" and french["CLOSED"] == "Clôturé"
    assert options(login_as(Role.MANAGER, locale="en"))["CREATED"] == "Created"
