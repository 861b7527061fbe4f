"""How e-mails and calendar invitations write a place: « Campus Lyon — Salle Rhône, 12 rue de la
Soie, 69100 Villeurbanne ». The room's name is written as it was typed, after its place's (it
usually says « Salle » itself: never « salle Salle Rhône »); the planning editor shows the same
« Lieu — Salle ». PDFs have their own wording (`documents.pdf.slot_place`)."""

from __future__ import annotations


def place_name(location, room) -> str:
    """« Campus Lyon — Salle Rhône », « Campus Lyon », or the room alone."""
    names = (location.name if location is not None else "", room.name if room is not None else "")
    return " — ".join(name.strip() for name in names if name and name.strip())


def address(location) -> str:
    """« 12 rue de la Soie, 69100 Villeurbanne »."""
    if location is None:
        return ""
    town = " ".join(p.strip() for p in (location.postcode, location.city) if p and p.strip())
    return ", ".join(p for p in ((location.address or "").strip(), town) if p)


def full_place(location, room) -> str:
    """The place, then its address: what a participant needs to find the room."""
    return ", ".join(p for p in (place_name(location, room), address(location)) if p)
