"""The budget of one rendering of an e-mail template: a deadline and a size.

A template is written by the staff and rendered in a web request (the check before saving) and in
the worker (one rendering per message). Three nested loops, or a string repeated a billion times,
would hold either for minutes or exhaust its memory. Every hook of the sandbox (loop iteration,
call, filter, operator, attribute) looks at the clock, refuses a value larger than the size budget
before it is built, and counts what is written out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: A number larger than this many bits is refused: no e-mail needs it, and it is slow to build.
MAX_INT_BITS = 4096
#: How deep lists and dicts are weighed; deeper counts as too large.
MAX_DEPTH = 32


class RenderBudgetExceeded(Exception):
    """The rendering went over its time (`kind == "time"`) or size (`"size"`) budget."""

    def __init__(self, kind: str, budget: Budget):
        super().__init__(f"render budget exceeded: {kind}")
        self.kind = kind
        self.milliseconds = round(budget.seconds * 1000)
        self.kilobytes = budget.size // 1024


@dataclass
class Budget:
    seconds: float
    size: int
    deadline: float = 0.0
    written: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderBudgetExceeded("time", self)

    def allow(self, size: int) -> None:
        """A value of `size` characters (or items) may be built."""
        if size > self.size:
            raise RenderBudgetExceeded("size", self)

    def write(self, size: int) -> None:
        self.written += size
        self.allow(self.written)


#: Outside a rendering (compiling a template), a budget that only bounds sizes.
_UNLIMITED = Budget(seconds=float("inf"), size=256 * 1024, deadline=float("inf"))
_current: ContextVar[Budget] = ContextVar("render_budget", default=_UNLIMITED)


def current() -> Budget:
    return _current.get()


@contextmanager
def limits(milliseconds: int, size: int) -> Iterator[Budget]:
    budget = Budget(seconds=milliseconds / 1000, size=size)
    budget.deadline = time.monotonic() + budget.seconds
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


# --- Sizes ---------------------------------------------------------------------------------------


def weight(value, limit: int, depth: int = 0) -> int:
    """An upper bound of the characters `str(value)` takes; stops counting once over `limit`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if isinstance(value, list | tuple | set | frozenset | dict):
        if depth > MAX_DEPTH or len(value) > limit:
            return limit + 1
        total = 2
        items = value.items() if isinstance(value, dict) else ((item,) for item in value)
        for pair in items:
            for item in pair:
                total += weight(item, limit, depth + 1) + 2
            if total > limit:
                break
        return total
    return 64


def check_value(value) -> None:
    budget = current()
    budget.allow(weight(value, budget.size))


def check_int(value) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise RenderBudgetExceeded("size", current())


def check_binop(operator: str, left, right) -> None:
    """Before `left <operator> right`: refuse what would be too large to build."""
    budget = current()
    budget.tick()
    numbers = all(isinstance(v, int | float) for v in (left, right))
    if operator == "**" and numbers:
        big = isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0
        if big and left.bit_length() * right > MAX_INT_BITS:
            raise RenderBudgetExceeded("size", budget)
    elif operator == "*" and numbers:
        bits = sum(v.bit_length() for v in (left, right) if isinstance(v, int))
        if bits > MAX_INT_BITS:
            raise RenderBudgetExceeded("size", budget)
    elif operator == "*":
        count = next((v for v in (left, right) if isinstance(v, int)), None)
        sequence = right if count is left else left
        if count is not None and count > 0:
            budget.allow(weight(sequence, budget.size) * count)
    elif operator == "+" and not numbers:
        budget.allow(weight(left, budget.size) + weight(right, budget.size))
    elif operator == "%" and isinstance(left, str):
        check_percent(left, right)


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def check_percent(template: str, values) -> None:
    """`template % values` (the operator and the `format` filter): its widths and precisions, and
    every conversion as large as the largest value."""
    budget = current()
    if isinstance(values, dict):
        largest = max((weight(v, budget.size) for v in values.values()), default=0)
    elif isinstance(values, tuple):
        largest = max((weight(v, budget.size) for v in values), default=0)
    else:
        largest = weight(values, budget.size)
    total = len(template)
    for match in _PERCENT.finditer(template):
        width, precision, _ = match.groups()
        if "*" in (width, precision):
            raise RenderBudgetExceeded("size", budget)
        total += int(width or 0) + int(precision or 0) + largest
        budget.allow(total)


_SPEC = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?")


def check_format_field(value, spec: str) -> int:
    """One field of `str.format`: the characters it will take, or refused when too large."""
    budget = current()
    budget.tick()
    match = _SPEC.match(spec or "")
    width = int(match.group(1) or 0) if match else 0
    precision = int(match.group(2) or 0) if match else 0
    size = weight(value, budget.size) + width + precision
    budget.allow(size)
    return size


def check_replace(text: str, old: str, new: str, count=-1) -> None:
    budget = current()
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    budget.allow(len(text) + found * max(len(new) - len(old), 0))


def check_lines(text: str, per_line: int) -> None:
    """Something added to each line of `text` (`indent`, `wordwrap`, `expandtabs`)."""
    budget = current()
    budget.allow(len(text) + (text.count("\n") + text.count("\t") + 1) * per_line)


def bounded_list(items: Iterable) -> list:
    """The items of an iterable, pulled one by one under the budget (for `join`)."""
    budget = current()
    result, total = [], 0
    for item in items:
        budget.tick()
        total += weight(item, budget.size)
        budget.allow(total)
        result.append(item)
    return result


# --- Helpers the compiled templates call -----------------------------------------------------------


def loop(iterable, static_size: int = 0):
    """Every `{% for %}`: one look at the clock per iteration, and the loop body's own text counted
    as written."""
    budget = current()
    for item in iterable:
        budget.tick()
        if static_size:
            budget.write(static_size)
        yield item


def concat(*parts) -> str:
    """The `~` operator, weighed before it is built."""
    budget = current()
    budget.allow(sum(weight(part, budget.size) for part in parts))
    return "".join(str(part) for part in parts)


def heavier(first, second):
    """When probing a template, `a if test else b` takes whichever branch weighs more."""
    budget = current()
    if isinstance(first, int | float) and isinstance(second, int | float):
        return max(first, second, key=abs)
    return first if weight(first, budget.size) >= weight(second, budget.size) else second
