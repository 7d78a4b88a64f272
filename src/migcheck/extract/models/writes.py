"""Where the application sets a module's names from outside it: ``import app.consts as c; c.X = 1``.

A module-level ``X = "a"`` is no constant when another module of the application assigns ``c.X`` (or
``consts.X`` after ``from app import consts``, ``app.consts.X`` after ``import app.consts``) or hands the
module to ``setattr``: which value a revision formats then depends on what ran first. The project's Python
files are listed once; a file is parsed only when its text has ``.X`` where a statement can store to it
(``_STORED``) for a name asked about, or ``setattr`` / ``delattr``.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict

from migcheck.extract.models.files import ProjectFiles
from migcheck.extract.models.resolve import ModuleFinder

#: More Python files than this and the search is not made: every value is unknown.
MAX_FILES = 20_000

_ATTRIBUTE = re.compile(r"\.\s*([A-Za-z_]\w*)")
#: ``.X`` where a statement can store to it (``= += : , ) ] in``): a superset of the stores, for reading
#: ``c.X`` in an expression alone must not make every file that imports the module parsed
_STORED = re.compile(r"\.\s*([A-Za-z_]\w*)\s*(?:(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|[,)\]:]|in\b)")
_DEL_LINE = re.compile(r"^[ \t]*del\b.*$", re.M)
_SETS_ANY = re.compile(r"\b(?:setattr|delattr)\s*\(")


class OutsideWrites:
    """Answers ``written(module, dotted)``: whether some module of the application's package that holds
    ``module`` stores to ``dotted`` (``app.consts.X``) through an attribute, or hands one of its prefixes to
    ``setattr`` / ``delattr``."""

    def __init__(self, files: ProjectFiles, finder: ModuleFinder) -> None:
        self.files, self.finder = files, finder
        #: per folder searched: the files by attribute name they may store to (``.X =``), those calling setattr;
        #: None when the folder holds more than MAX_FILES
        self._folders: dict[str, tuple[dict[str, list[str]], list[str]] | None] = {}
        self._parsed: dict[str, tuple[set[str], set[str]]] = {}

    def written(self, module: str, dotted: str) -> bool:
        """True when ``dotted`` (``module.NAME`` or ``module.Class.ATTR``) may be set from another module."""
        found = self.finder.find(module)
        if found is None:
            return False
        index = self._index(_top_folder(found[0], found[1], len(module.split("."))))
        if index is None:
            return True
        by_attribute, setters = index
        names = dotted.split(".")
        prefixes = {".".join(names[:k]) for k in range(1, len(names) + 1)}
        for rel in dict.fromkeys([*setters, *(f for n in names[1:] for f in by_attribute.get(n, []))]):
            stores, handed = self._writes(rel)
            if stores & prefixes or handed & prefixes:
                return True
        return False

    def _index(self, folder: str) -> tuple[dict[str, list[str]], list[str]] | None:
        if folder not in self._folders:
            listed = self.files.python_files(folder, MAX_FILES)
            index: tuple[dict[str, list[str]], list[str]] | None = None
            if listed is not None:
                index = (defaultdict(list), [])
                for rel in listed:
                    text = self.files.read(rel)
                    if text is None:
                        continue
                    if _SETS_ANY.search(text):
                        index[1].append(rel)
                    stored = set(_STORED.findall(text))
                    stored.update(name for line in _DEL_LINE.findall(text) for name in _ATTRIBUTE.findall(line))
                    for name in stored:
                        index[0][name].append(rel)
            self._folders[folder] = index
        return self._folders[folder]

    def _writes(self, rel: str) -> tuple[set[str], set[str]]:
        """The dotted names ``rel`` stores to through an imported module, and the dotted objects it hands to
        ``setattr`` / ``delattr``."""
        if rel not in self._parsed:
            stores: set[str] = set()
            handed: set[str] = set()
            text = self.files.read(rel)
            try:
                tree = ast.parse(text) if text is not None else None
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                tree = None
            if tree is not None:
                imported = _imported(tree, self.finder.name_of(rel), rel.endswith("/__init__.py"))
                for node in ast.walk(tree):
                    if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
                        stores.update(_dotted(node, imported))
                    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                            and node.func.id in {"setattr", "delattr"} and node.args:
                        handed.update(_dotted(node.args[0], imported))
            self._parsed[rel] = (stores, handed)
        return self._parsed[rel]


def _imported(tree: ast.Module, module: str | None, package: bool) -> dict[str, set[str]]:
    """Local name -> the dotted modules (or names) the file's imports, anywhere in it, bind it to."""
    out: dict[str, set[str]] = defaultdict(set)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname].add(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    out[top].add(top)
        elif isinstance(node, ast.ImportFrom):
            base = node.module if node.level == 0 else None if module is None else \
                absolute_module(module, package, node)
            if base is None:
                continue
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name].add(f"{base}.{alias.name}")
    return out


def _top_folder(rel: str, package: bool, depth: int) -> str:
    """The folder of the top-level package holding the module of file ``rel`` (``depth`` dotted parts): the
    files of the application that can set its names; a top-level module's own folder."""
    parts = rel.split("/")
    if not package and depth == 1:
        return "/".join(parts[:-1])
    return "/".join(parts[:len(parts) - depth - (1 if package else 0) + 1])


def absolute_module(module: str, package: bool, node: ast.ImportFrom) -> str | None:
    """The module an ``from ... import`` in ``module`` names, relative imports made absolute."""
    if node.level == 0:
        return node.module
    parts = module.split(".") if package else module.split(".")[:-1]
    if node.level - 1 > len(parts) or (node.level > 1 and node.level - 1 == len(parts) and not node.module):
        return None
    base = parts[:len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])]) or None


def _dotted(node: ast.expr, imported: dict[str, set[str]]) -> set[str]:
    """``c.X`` -> {"app.consts.X"} when ``c`` is imported as ``app.consts``; empty when its root is no import."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imported:
        return set()
    rest = ".".join(reversed(attrs))
    return {f"{base}.{rest}" if rest else base for base in imported[node.id]}
