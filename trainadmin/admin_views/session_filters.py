"""List filters for what needs attention: sessions to complete, sessions under their minimum."""

from __future__ import annotations

import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l

from ..models import Cost, TrainingSession

YES_NO = (("1", _l("Yes")), ("0", _l("No")))


class AttentionFilter(BaseSQLAFilter):
    """A yes/no filter on a condition; `url_name` gives it a stable address."""

    url_name = ""

    def __init__(self, name):
        super().__init__(TrainingSession.id, name, options=YES_NO)

    def condition(self):
        raise TypeError("subclasses give their condition")

    def apply(self, query, value, alias=None):
        return query.filter(self.condition() if value == "1" else sa.not_(self.condition()))

    def operation(self):
        return _l("equals")


class MissingSetupFilter(AttentionFilter):
    """Costs or evaluation still to enter (the orange reminder)."""

    url_name = "to_complete"

    def condition(self):
        has_costs = sa.exists().where(Cost.session_id == TrainingSession.id)
        return sa.or_(TrainingSession.evaluation_id.is_(None), ~has_costs)


class UnderMinimumFilter(AttentionFilter):
    """Fewer enrolled collaborators than the minimum capacity."""

    url_name = "under_minimum"

    def condition(self):
        return sa.and_(
            TrainingSession.capacity_min.is_not(None),
            TrainingSession.enrolled_count < TrainingSession.capacity_min,
        )
