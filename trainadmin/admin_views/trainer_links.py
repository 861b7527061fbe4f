"""« Envoyer le lien formateur » on a trainer's page: a new link to the trainer's page of slots and
calendar (the previous one stops working), shown once to the staff member who asked for it."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

from ..models import Trainer
from ..services.links import current_trainer_link, trainer_page_url
from ..transaction import commits


class TrainerLinkMixin:
    """Mixed into the trainers' view (a SecureModelView): the POST is a write (403 to readers)."""

    details_template = "admin/trainers/details.html"
    extra_write_views = frozenset({"trainer_link_view"})

    @expose("/link/", methods=("POST",))
    @commits
    def trainer_link_view(self):
        trainer = self.get_one(request.args.get("id", ""))
        if trainer is None:
            abort(404)
        replaced = current_trainer_link(trainer) is not None
        url = trainer_page_url(trainer)
        flash(
            gettext(
                "Trainer link of %(name)s: %(url)s — copy it now, it will not be shown again.",
                name=trainer,
                url=url,
            ),
            "success",
        )
        if replaced:
            flash(gettext("The link sent before no longer works."), "info")
        return redirect(self.get_url(".details_view", id=trainer.id))

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if isinstance(model, Trainer) and template == self.details_template:
            kwargs["trainer_link"] = current_trainer_link(model)
        return super().render(template, **kwargs)
