"""Text a standard-library date formats to, formatted into SQL (held-out-21 #135-#137).

``date = datetime.date(year, month, 1)`` then ``f"events_{date.strftime('%Y_%m')}"`` or ``date.isoformat()``:
whatever the date holds, its numeric strftime directives give digits, and the rest of the pattern is the code's
own text, so the value can neither hold a quote nor come from outside. Only a value the revision makes itself
counts: a ``datetime.date`` / ``datetime.datetime`` the module imports from the standard library (bound nowhere
else), its class constructors, ``+`` / ``-`` a ``timedelta`` or dateutil's ``relativedelta``, ``.replace(...)`` and
``.date()``. An object of unknown kind with a ``strftime`` method, a name-like directive (``%b``, ``%Z``: a
locale's or a time zone's text) or a pattern with a quote in it is not such a value.
"""

from __future__ import annotations

import ast
import functools
from typing import TYPE_CHECKING

from migcheck.extract.python.nodes import _attr_chain, binding_counts
from migcheck.vocabulary.lazyregex import lazy_regex

if TYPE_CHECKING:
    from migcheck.extract.python.evaluate import Evaluator
    from migcheck.extract.python.scope import Scope

#: A strftime pattern of numeric directives (``%-m`` too) and plain separators only.
_NUMERIC_PATTERN = lazy_regex(r"(?:%-?[YymdHIMSfjUWwuVG]|[A-Za-z0-9_\-:./ ])*")
#: The class methods of ``date`` / ``datetime`` that return one.
_MAKERS = frozenset({"today", "now", "utcnow", "fromisoformat", "fromtimestamp", "utcfromtimestamp", "fromordinal",
                     "fromisocalendar", "strptime", "combine"})
#: Methods of a date that return a date.
_DATE_METHODS = frozenset({"replace", "date"})
_DEPTH = 6


@functools.lru_cache(maxsize=1)
def stdlib_date_names(tree: ast.Module) -> dict[str, str]:
    """Module-level names the revision imports from the standard library's ``datetime`` (and dateutil's
    ``relativedelta``) and binds nowhere else: name -> ``module``, ``date``, ``datetime``, ``timedelta`` or
    ``relativedelta``."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update({alias.asname or alias.name: "module" for alias in node.names if alias.name == "datetime"})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "datetime":
            found.update({alias.asname or alias.name: alias.name for alias in node.names
                          if alias.name in {"date", "datetime", "timedelta"}})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "dateutil.relativedelta":
            found.update({alias.asname or alias.name: alias.name for alias in node.names
                          if alias.name == "relativedelta"})
    if not found:
        return found
    counts = binding_counts(tree)
    return {name: kind for name, kind in found.items() if counts.get(name) == 1}


def _kind(ex: Evaluator, func: ast.expr) -> tuple[str, list[str]] | None:
    """(the class a dotted callable starts from, the attributes after it): ``datetime.date.today`` with
    ``import datetime`` is ("date", ["today"]); None when it does not start from the standard library's."""
    chain = _attr_chain(func)
    if not chain:
        return None
    kind = stdlib_date_names(ex.tree).get(chain[0])
    if kind == "module" and len(chain) > 1 and chain[1] in {"date", "datetime", "timedelta"}:
        return chain[1], chain[2:]
    return (kind, chain[1:]) if kind is not None and kind != "module" else None


def makes_date(ex: Evaluator, node: ast.expr, scope: Scope, depth: int = 0) -> bool:
    """Whether ``node`` is certainly a standard-library date or datetime the revision makes."""
    if depth > _DEPTH:
        return False
    if isinstance(node, ast.Name):
        bound = scope.types.get(node.id)  # date = datetime.date(year, month, 1)
        return node.id not in scope.env and bound is not None and makes_date(ex, bound, scope, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        if makes_date(ex, node.left, scope, depth + 1) and _delta(ex, node.right):
            return True
        return isinstance(node.op, ast.Add) and _delta(ex, node.left) and makes_date(ex, node.right, scope, depth + 1)
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr in _DATE_METHODS \
            and makes_date(ex, node.func.value, scope, depth + 1):
        return True  # date.replace(day=1), moment.date()
    kind = _kind(ex, node.func)
    return kind is not None and kind[0] in {"date", "datetime"} and (
        not kind[1] or (len(kind[1]) == 1 and kind[1][0] in _MAKERS))


def _delta(ex: Evaluator, node: ast.expr) -> bool:
    """``timedelta(days=1)`` / ``relativedelta(months=1)`` of the modules they are imported from."""
    if not isinstance(node, ast.Call):
        return False
    kind = _kind(ex, node.func)
    return kind is not None and kind[0] in {"timedelta", "relativedelta"} and not kind[1]


def stdlib_value(ex: Evaluator, node: ast.expr) -> bool:
    """A value that is never NULL: a ``timedelta(...)``, ``date(...)`` or ``datetime(...)`` constructed from the
    standard library's ``datetime`` (imported and bound once), as ``.values(duration=timedelta(0))`` writes it
    (held-out-24 #59). Its class methods (``datetime.now()``...) are not asked for here."""
    if not isinstance(node, ast.Call):
        return False
    kind = _kind(ex, node.func)
    return kind is not None and kind[0] in {"timedelta", "date", "datetime"} and not kind[1]


def date_text(ex: Evaluator, node: ast.expr, scope: Scope, depth: int = 0) -> bool:
    """Whether ``node`` is text a date of the revision formats to with numeric directives only:
    ``d.strftime("%Y_%m")``, ``d.isoformat()``, ``str(d)``, or a name bound to one."""
    if depth > _DEPTH:
        return False
    if isinstance(node, ast.Name):
        bound = scope.types.get(node.id)  # lower_bound = date.strftime("%Y-%m-%d")
        return node.id not in scope.env and bound is not None and date_text(ex, bound, scope, depth + 1)
    if not isinstance(node, ast.Call) or node.keywords:
        return False
    func = node.func
    if isinstance(func, ast.Name) and func.id == "str" and func.id not in ex.functions and len(node.args) == 1:
        return makes_date(ex, node.args[0], scope)
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "isoformat" and not node.args:
        return makes_date(ex, func.value, scope)
    if func.attr == "strftime" and len(node.args) == 1:
        pattern = ex._literal(node.args[0], scope)
        return isinstance(pattern, str) and _NUMERIC_PATTERN.fullmatch(pattern) is not None \
            and makes_date(ex, func.value, scope)
    return False


def formatted_date(ex: Evaluator, value: ast.FormattedValue, scope: Scope) -> bool:
    """Whether an f-string field formats a date of the revision to digits and the code's separators: ``{d}``,
    ``{d!s}``, ``{d:%Y_%m}`` (a date's format spec is a strftime pattern), or ``{d.strftime('%Y_%m')}``."""
    if value.conversion not in (-1, ord("s")):
        return False
    if value.format_spec is None:
        return date_text(ex, value.value, scope) or makes_date(ex, value.value, scope)
    spec = value.format_spec
    if not (isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values)):
        return False
    pattern = "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
    return _NUMERIC_PATTERN.fullmatch(pattern) is not None and makes_date(ex, value.value, scope)
