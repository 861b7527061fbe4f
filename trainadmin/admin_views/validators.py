"""Form validators that survive hostile input."""

from __future__ import annotations

import math

from wtforms import validators


class NumberRange(validators.NumberRange):
    """WTForms' NumberRange, minus its crash on whole numbers too large for a float: it calls
    `math.isnan()` on the value, which raises OverflowError for « 9 » typed 309 times (a 500).
    Such a number is checked as ±infinity: refused with the usual message."""

    def __call__(self, form, field):
        data = field.data
        if isinstance(data, int) and not isinstance(data, bool) and abs(data) > 2**53:
            field.data = math.inf if data > 0 else -math.inf
            try:
                super().__call__(form, field)
            finally:
                field.data = data
            return
        super().__call__(form, field)
