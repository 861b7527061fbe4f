"""The collaborator's manager decides a demande from their link: the demande, « Accepter » or
« Refuser », a confirmation (a comment required to refuse), then « déjà traitée » for good."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..models import AccessLink, LinkPurpose, RequestStatus
from ..services.errors import DomainError
from ..services.links import LinkRefused, Refusal
from ..services.participants.manager_decisions import already_decided, decide
from ..services.participants.manager_links import demande_variables
from ..transaction import unit_of_work
from .blueprint import PAGE, link_view, refused_page

DECISIONS = {"accept": True, "refuse": False}


def _page(link: AccessLink, template: str, status: int = 200, **context):
    demande = link.request
    return (
        render_template(
            f"links/{template}",
            demande=demande,
            session=demande.session,
            details=demande_variables(demande),
            **context,
        ),
        status,
    )


def _already(link: AccessLink, refusal: Refusal | None = None):
    """The demande was decided (from this link, another one, or by the training department)."""
    if not already_decided(link.request):
        return refused_page(LinkRefused(refusal or Refusal.USED, link))
    status = link.request.status
    accepted = status not in (RequestStatus.REFUSED, RequestStatus.CANCELLED)
    return _page(link, "manager_done.html", accepted=accepted)


@link_view(LinkPurpose.MANAGER_DECISION, PAGE, refused=_already)
def demande_page(link: AccessLink):
    if already_decided(link.request):
        return _already(link)
    return _page(link, "manager_demande.html")


def _decision(link: AccessLink, decision: str):
    accept = DECISIONS[decision]
    if already_decided(link.request):
        return _already(link)
    if request.method == "GET":
        return _page(link, "manager_confirm.html", accept=accept, decision=decision, errors={})
    comment = request.form.get("comment", "")
    try:
        with unit_of_work():
            decide(link, accept, comment)
    except DomainError as exc:
        if already_decided(link.request):
            return _already(link)
        errors = {exc.field or "form": exc.message}
        return _page(
            link,
            "manager_confirm.html",
            400,
            accept=accept,
            decision=decision,
            errors=errors,
            comment=comment,
        )
    return redirect(url_for("links.page", token=request.view_args["token"]), 303)


@link_view(LinkPurpose.MANAGER_DECISION, "accept", methods=("GET", "POST"), refused=_already)
def accept_page(link: AccessLink):
    return _decision(link, "accept")


@link_view(LinkPurpose.MANAGER_DECISION, "refuse", methods=("GET", "POST"), refused=_already)
def refuse_page(link: AccessLink):
    return _decision(link, "refuse")
