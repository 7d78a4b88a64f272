"""Deployment guards: an ``if`` that keeps its steps off (or only on) the production database.

Some projects build large indexes on production by hand and let the revision do it only elsewhere:
``environment = os.environ["NOTIFY_ENVIRONMENT"]`` at module level, then ``if environment not in ["live",
"production"]: op.execute("CREATE INDEX ...")``. The branch that cannot run on production still runs on staging
and development databases: the walker keeps it, ``conditional`` and marked ``Change.off_in_production``, so the
rules about what the SQL is (names, downgrades, syntax) judge it while the rules whose harm is production's load
(locks, scans) leave it out.

Only certain matches count: a single ``==``, ``!=``, ``in`` or ``not in`` between what reads the deployment's
name (``os.environ[...]``, ``os.getenv(...)``, a ``config``/``settings`` entry, each with a key or attribute named
for the environment: ``NOTIFY_ENVIRONMENT``, ``APP_ENV``, ``settings.DEPLOYMENT``; or a name bound once to one
of these) and literal strings that all name a production deployment ("production",
"prod", "live", any case). ``brief.status != "live"`` reads a row, not the deployment, and decides nothing.
``dialecttests._static_test_impl`` decides such a comparison as it decides a dialect test, so ``not``, ``and`` and
``or`` (with dialect tests too) count where it alone settles them; the walker keeps the branch production
takes ``conditional``, since it runs only where production is named as the test expects.
"""

from __future__ import annotations

import ast

from migcheck.vocabulary.lazyregex import lazy_regex

#: The names a production deployment goes by.
PRODUCTION_NAMES = frozenset({"production", "prod", "live"})
#: Words of a config key or attribute that name the deployment (``NOTIFY_ENVIRONMENT``, ``settings.ENV``).
_DEPLOYMENT_WORDS = frozenset({"env", "environment", "deployment", "deploy", "stage", "tier"})
#: What settings are read from: ``current_app.config["ENV"]``, ``settings.ENVIRONMENT``, ``conf.get("env")``.
_CONFIG_WORDS = frozenset({"config", "settings", "conf", "configuration"})


_WORD = lazy_regex(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _names_deployment(key: str) -> bool:
    """A setting's key with a word for the deployment: ``NOTIFY_ENVIRONMENT`` (notify, environment), ``deployEnv``."""
    return any(word.lower() in _DEPLOYMENT_WORDS for word in _WORD.findall(key))


def _key(node: ast.expr) -> str | None:
    """The literal key of ``x["KEY"]`` / ``x.get("KEY", ...)``."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_environ(node: ast.expr) -> bool:
    """``os.environ`` (or ``environ`` imported from os)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (isinstance(node, ast.Name)
                                                                           and node.id == "environ")


def _last_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _is_config(node: ast.expr) -> bool:
    """``config``, ``app.config``, ``current_app.config``, ``settings``: where an application keeps its settings."""
    return _last_name(node).lower() in _CONFIG_WORDS


def reads_deployment(node: ast.expr, names: frozenset[str]) -> bool:
    """Whether ``node`` is the deployment's name as the process was given it; ``names`` are the names bound
    once to it (Scope.deployment_names)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in {"lower", "upper", "strip", "casefold"} and not node.args:
        node = node.func.value  # os.environ["ENV"].lower()
    if isinstance(node, ast.Subscript):
        key = _key(node.slice)
        return key is not None and (_is_environ(node.value) or _is_config(node.value)) and _names_deployment(key)
    if isinstance(node, ast.Call) and node.args and not any(isinstance(a, ast.Starred) for a in node.args):
        key = _key(node.args[0])
        func = node.func
        if key is None or not _names_deployment(key):
            return False
        if _last_name(func) == "getenv":
            return True  # os.getenv("APP_ENV")
        return isinstance(func, ast.Attribute) and func.attr == "get" and (_is_environ(func.value)
                                                                          or _is_config(func.value))
    if isinstance(node, ast.Attribute):
        return _is_config(node.value) and _names_deployment(node.attr)
    return isinstance(node, ast.Name) and node.id in names


def _production_literals(node: ast.expr) -> bool | None:
    """True for a literal string, or a list/tuple/set of them, that only names production deployments; False
    when one names anything else (``["live", "staging"]``); None when ``node`` is no such literal."""
    items = node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]
    texts = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
    if not items or len(texts) != len(items):
        return None
    return all(text.lower() in PRODUCTION_NAMES for text in texts)


def in_production(test: ast.expr, names: frozenset[str]) -> bool | None:
    """What ``test`` is on the production database when it compares the deployment's name with production's
    names; None when it is no such comparison."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq | ast.NotEq) and not isinstance(right, ast.Constant) and isinstance(left, ast.Constant):
        left, right = right, left  # "production" == environment
    if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
        return None
    if isinstance(op, ast.Eq | ast.NotEq) and not isinstance(right, ast.Constant):
        return None
    if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Constant):
        return None  # env in "production": a substring test
    if not _production_literals(right) or not reads_deployment(left, names):
        return None
    return isinstance(op, ast.Eq | ast.In)


def mentions_deployment(test: ast.expr, names: frozenset[str]) -> bool:
    """Whether a test decided for the target reads the deployment anywhere: the branch it takes runs only where
    the deployment is named as the test expects, so its steps stay ``conditional``."""
    return any(isinstance(node, ast.expr) and in_production(node, names) is not None for node in ast.walk(test))
