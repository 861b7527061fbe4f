"""The Jinja environment of e-mail templates: sandboxed, immutable, and bounded by the budget of
`render_budget` in every hook it has.

Loops and `~` are rewritten when a template is compiled, so that each iteration looks at the clock
and each concatenation is weighed before it is built. The *probe* environment is the one the check
before saving uses on top of the ordinary rendering: it takes every branch of every `if` and the
heavier side of every `a if b else c`, so that a loop hidden behind a test that is false for the
sample values is run all the same.
"""

from __future__ import annotations

from functools import update_wrapper

from jinja2 import ChainableUndefined, StrictUndefined, nodes, pass_context
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.visitor import NodeTransformer

from . import render_budget as budget

_HELPERS = "trainadmin.services.notifications.render_budget."
#: Methods of `str` that the templates cannot call: they multiply a text by a table or make bytes.
_STR_REFUSED = frozenset({"translate", "maketrans", "encode"})
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_GLOBALS_REMOVED = ("range", "lipsum", "cycler", "joiner", "namespace", "dict")


def _helper(name: str, args: list, lineno: int) -> nodes.Call:
    return nodes.Call(nodes.ImportedName(_HELPERS + name), args, [], None, None, lineno=lineno)


def _own_text(body: list) -> int:
    """The characters of text a loop body writes at each iteration, outside its inner loops."""
    size = 0
    for node in body:
        if isinstance(node, nodes.TemplateData):
            size += len(node.data)
        elif not isinstance(node, nodes.For | nodes.Macro | nodes.CallBlock):
            size += _own_text(list(node.iter_child_nodes()))
    return size


class _Bounded(NodeTransformer):
    def __init__(self, probe: bool):
        self.probe = probe

    def visit_For(self, node: nodes.For):
        node = self.generic_visit(node)
        node.iter = _helper("loop", [node.iter, nodes.Const(_own_text(node.body))], node.lineno)
        if self.probe:
            node.test = None
            otherwise, node.else_ = node.else_, []
            return [node, *otherwise]
        return node

    def visit_Concat(self, node: nodes.Concat):
        node = self.generic_visit(node)
        return _helper("concat", list(node.nodes), node.lineno)

    def visit_If(self, node: nodes.If):
        if not self.probe:
            return self.generic_visit(node)
        statements: list[nodes.Node] = []
        for branch in (node, *node.elif_):
            statements += [nodes.ExprStmt(branch.test, lineno=branch.lineno), *branch.body]
        result = []
        for statement in [*statements, *node.else_]:
            visited = self.visit(statement)
            result.extend(visited if isinstance(visited, list) else [visited])
        return result

    def visit_CondExpr(self, node: nodes.CondExpr):
        node = self.generic_visit(node)
        if not self.probe:
            return node
        return _helper("heavier", [node.expr1, node.expr2 or nodes.Const(None)], node.lineno)


class _BoundedFormatter(SandboxedFormatter):
    def format_field(self, value, format_spec: str) -> str:
        self.total = getattr(self, "total", 0) + budget.check_format_field(value, format_spec)
        budget.current().allow(self.total)
        return super().format_field(value, format_spec)


@pass_context
def _finalize(context, value):
    """Every `{{ value }}` is counted as written."""
    limits = budget.current()
    limits.write(budget.weight(value, limits.size))
    return value


def _check_call(obj, args: tuple) -> tuple:
    """Before a method of `str` that multiplies its text: refuse what would be too large."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str) or not args:
        return args
    name = getattr(obj, "__name__", "")
    limits = budget.current()
    if name in _WIDTH_METHODS and isinstance(args[0], int):
        limits.allow(args[0])
    elif name == "replace" and all(isinstance(arg, str) for arg in args[:2]):
        budget.check_replace(owner, *args[:3])
    elif name == "expandtabs" and isinstance(args[0], int):
        budget.check_lines(owner, args[0])
    elif name == "join":
        items = budget.bounded_list(args[0])
        limits.allow(sum(budget.weight(item, limits.size) for item in items) + len(owner) * len(items))
        return (items, *args[1:])
    return args


def _check_filter(name: str, value, args: tuple, kwargs: dict) -> tuple:
    limits = budget.current()
    limits.tick()
    limits.allow(budget.weight(value, limits.size))
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > limits.size:
            raise budget.RenderBudgetExceeded("size", limits)
    text = value if isinstance(value, str) else ""
    if name == "replace" and len(args) >= 2:
        budget.check_replace(str(value), str(args[0]), str(args[1]), args[2] if len(args) > 2 else -1)
    elif name == "join":
        value = budget.bounded_list(value)
        separator = str(args[0]) if args else str(kwargs.get("d", ""))
        limits.allow(budget.weight(value, limits.size) + len(separator) * len(value))
    elif name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        budget.check_lines(text, width if isinstance(width, int) else len(str(width)))
    elif name == "wordwrap":
        width = args[0] if args else kwargs.get("width", 79)
        wrap = args[2] if len(args) > 2 else kwargs.get("wrapstring") or "\n"
        lines = len(text) // max(width if isinstance(width, int) else 1, 1) + text.count("\n") + 1
        limits.allow(len(text) + lines * len(str(wrap)))
    elif name == "format":
        budget.check_percent(str(value), args or kwargs)
    return value, args


def _bounded_filter(name: str, func):
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)

    @pass_context
    def run(context, value, *args, **kwargs):
        value, args = _check_filter(name, value, args, kwargs)
        if passes == "context":
            result = func(context, value, *args, **kwargs)
        elif passes == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes == "environment":
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        budget.check_value(result)
        return result

    run.__name__ = run.__qualname__ = getattr(func, "__name__", name)
    return run


class TemplateEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed and immutable (no `append`: a list cannot double at each iteration), every
    operator intercepted, every hook bounded."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, probe: bool = False):
        super().__init__(
            undefined=ChainableUndefined if probe else StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_finalize,
        )
        self.probe = probe
        for name in _GLOBALS_REMOVED:
            self.globals.pop(name, None)
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}

    def _parse(self, source, name, filename):
        tree = _Bounded(self.probe).visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if isinstance(obj, str) and attr in _STR_REFUSED:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context, operator, left, right):
        budget.check_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        budget.check_int(result)
        return result

    def getattr(self, obj, attribute):
        budget.current().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        budget.current().tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value):
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        owner, is_map = value.__self__, value.__name__ == "format_map"

        def bounded(*args, **kwargs):
            if is_map and len(args) == 1 and not kwargs:
                args, kwargs = (), args[0]
            return type(owner)(_BoundedFormatter(self).vformat(str(owner), args, kwargs))

        return update_wrapper(bounded, value)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (the sandbox's own signature)
        budget.current().tick()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (budget.loop(args[0]), *args[1:])
        args = _check_call(__obj, args)
        result = super().call(__context, __obj, *args, **kwargs)
        budget.check_value(result)
        return result
