"""A Jinja2 sandbox for operator-written text, bounded in what it can reach, build and spend.

Reach: a template sees only the names it is given; a mapping's keys read as attributes, a few
text methods may be called, and nothing else of any object (no `__class__`, no `items`).
Build: text, lists and numbers are size-checked before they are made, and the output as it
is produced. Spend: every loop step, call and filter takes one step of a budget, which also
holds a CPU-time limit, so a runaway template stops with an error instead of holding the
service. Statements are limited to output, `if`, non-recursive `for`, `set` and `with`: block
captures and macros could build text out of sight of the output limit.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from functools import wraps
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_TEXT = 20_000
MAX_RANGE = 1_000
MAX_STEPS = 100_000
MAX_SECONDS = 0.25
# Beyond this an integer has more digits than any reply could show.
_MAX_INT_BITS = 4096

ALLOWED_STATEMENTS = (nodes.Output, nodes.If, nodes.For, nodes.Assign, nodes.With)
TEXT_METHODS = frozenset(
    {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith"}
    | {"endswith", "split", "isdigit", "isalpha"}
)
SIZE_KEEPING_FILTERS = frozenset(
    {"abs", "capitalize", "default", "d", "first", "last", "length", "count", "lower"}
    | {"upper", "title", "trim", "truncate", "round", "int", "float", "string", "list"}
    | {"sort", "unique", "reverse", "wordcount", "min", "max", "sum"}
)
_STEP = "__step"
_CONCAT = "__concat"


class Budget:
    """Steps and CPU seconds one rendering may still spend."""

    def __init__(
        self,
        steps: int = MAX_STEPS,
        seconds: float = MAX_SECONDS,
        clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.steps = steps
        self.clock = clock
        self.deadline = clock() + seconds
        self.seconds = seconds

    def spend(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise SecurityError("the template takes too many steps")
        if self.clock() > self.deadline:
            raise SecurityError(f"the template takes longer than {self.seconds:g} s")


_BUDGET: ContextVar[Budget] = ContextVar("template_budget")


def spend() -> None:
    _BUDGET.get().spend()


def with_budget(budget: Budget, produce: Callable[[], str]) -> str:
    token = _BUDGET.set(budget)
    try:
        return produce()
    finally:
        _BUDGET.reset(token)


def check_size(value: Any) -> Any:
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_TEXT:
        raise SecurityError(f"a value of more than {MAX_TEXT} items or characters")
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise SecurityError("a number too large to show")
    return value


def _check_arguments(args: Iterable[Any]) -> None:
    for value in args:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_TEXT:
            raise SecurityError(f"a number above {MAX_TEXT} passed to a function")


def bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range of {len(numbers)} items; at most {MAX_RANGE}")
    return numbers


def _metered(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as a filter that spends a step, takes no huge numbers and makes no huge value."""

    @wraps(function)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        spend()
        _check_arguments([*args, *kwargs.values()])
        return check_size(function(*args, **kwargs))

    return filter_


def _steps(iterable: Any) -> Iterator[Any]:
    for item in iterable:
        spend()
        yield item


def _join(items: Iterable[Any], separator: str = "") -> str:
    parts = [str(item) for item in items]
    if sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0) > MAX_TEXT:
        raise SecurityError(f"joined text of more than {MAX_TEXT} characters")
    return separator.join(parts)


def _replace(text: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(text)
    times = text.count(old) if count is None else min(count, text.count(old))
    if len(text) + times * (len(new) - len(old)) > MAX_TEXT:
        raise SecurityError(f"replaced text of more than {MAX_TEXT} characters")
    return text.replace(old, new, times)


def _concat(parts: list[Any]) -> str:
    texts = [str(part) for part in parts]
    if sum(map(len, texts)) > MAX_TEXT:
        raise SecurityError(f"joined text of more than {MAX_TEXT} characters")
    return "".join(texts)


USER_FILTERS: dict[str, Callable[..., Any]] = {
    **{name: _metered(FILTERS[name]) for name in SIZE_KEEPING_FILTERS},
    "join": _metered(_join),
    "replace": _metered(_replace),
}


def _grows_too_much(op: str, left: Any, right: Any) -> bool:
    sized = (str, list, tuple)
    if op == "+" and isinstance(left, sized) and isinstance(right, sized):
        return len(left) + len(right) > MAX_TEXT
    if op == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, sized) and isinstance(times, int):
                return len(sequence) * times > MAX_TEXT
        ints = isinstance(left, int) and isinstance(right, int)
        return ints and left.bit_length() + right.bit_length() > _MAX_INT_BITS
    if op == "**" and isinstance(left, int) and isinstance(right, int):
        return abs(left) > 1 and right > 0 and abs(left).bit_length() * right > _MAX_INT_BITS
    return False


def _blank_none(value: Any) -> Any:
    """A customer without a name prints nothing, not `None`."""
    return "" if value is None else value


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the reach, size and step limits of this module."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_blank_none,
        )
        self.globals = {"range": bounded_range}
        self.filters = {**USER_FILTERS, _STEP: _steps, _CONCAT: _concat}

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "%" and isinstance(left, str):
            raise SecurityError("text formatting with % is not allowed; join with ~")
        if _grows_too_much(op, left, right):
            raise SecurityError(f"the result of {op} would be too large")
        return super().call_binop(context, op, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> None:
        """`str.format` is not one of the text methods: it is refused like any other."""
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        reachable = (isinstance(obj, str) and attr in TEXT_METHODS) or isinstance(obj, LoopContext)
        return reachable and super().is_safe_attribute(obj, attr, value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        spend()
        if __obj is not bounded_range:  # which names its own limit
            _check_arguments([*args, *kwargs.values()])
        return check_size(super().call(__context, __obj, *args, **kwargs))


class Metering(NodeTransformer):
    """Rewrites a parsed template so every loop step spends budget and every `~` is sized."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _STEP, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT, [], [], None, None, lineno=node.lineno)


def bounded_text(pieces: Iterable[str]) -> str:
    """The pieces a template produces, stopped once they pass MAX_TEXT characters."""
    out: list[str] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > MAX_TEXT:
            raise SecurityError(f"the template renders more than {MAX_TEXT} characters")
        out.append(piece)
    return "".join(out)
