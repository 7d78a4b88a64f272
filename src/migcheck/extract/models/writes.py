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
from migcheck.extract.models.typeparams import parse_module
from migcheck.extract.python.imports import absolute_module

#: More Python files than this and the search is not made: every value is unknown.
MAX_FILES = 20_000

_ATTRIBUTE = re.compile(r"\.\s*([A-Za-z_]\w*)")
#: ``.X`` where a statement can store to it (``= += : , ) ] in``): a superset of the stores, for reading
#: ``c.X`` in an expression alone must not make every file that imports the module parsed
_STORE_AFTER = r"\s*(?:(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|[,)\]:]|in\b)"
_STORED = re.compile(r"\.\s*([A-Za-z_]\w*)" + _STORE_AFTER)
_DEL_LINE = re.compile(r"^[ \t]*del\b.*$", re.M)
_SETS_ANY = re.compile(r"\b(?:setattr|delattr)\s*\(")


class OutsideWrites:
    """Answers ``written(module, dotted)``: whether some module of the application's package that holds
    ``module`` stores to ``dotted`` (``app.consts.X``) through an attribute, or hands one of its prefixes to
    ``setattr`` / ``delattr``."""

    def __init__(self, files: ProjectFiles, finder: ModuleFinder) -> None:
        self.files, self.finder = files, finder
        #: per folder searched: its files' texts, read once; None when the folder holds more than MAX_FILES
        self._texts: dict[str, list[tuple[str, str]] | None] = {}
        #: every file's text read for a folder, by path: read once, parsed by _writes from here
        self._read: dict[str, str] = {}
        #: per (folder, module's last part, attribute name): the files whose text may store to ``.name``; per
        #: (folder, module's last part): those calling setattr / delattr
        self._storing: dict[tuple[str, str, str], list[str]] = {}
        self._naming: dict[tuple[str, str], list[str]] = {}
        self._stored: dict[str, frozenset[str]] = {}
        self._setters: dict[tuple[str, str], list[str]] = {}
        self._parsed: dict[str, tuple[set[str], set[str]]] = {}

    def written(self, module: str, dotted: str) -> bool:
        """True when ``dotted`` (``module.NAME`` or ``module.Class.ATTR``) may be set from another module."""
        found = self.finder.find(module)
        if found is None:
            return False
        folder = _top_folder(found[0], found[1], len(module.split(".")))
        if self._folder_texts(folder) is None:
            return True
        names = dotted.split(".")
        prefixes = {".".join(names[:k]) for k in range(1, len(names) + 1)}
        # a file that sets the module's names imports it, so its text names the module's last part
        last = module.split(".")[-1]
        candidates = [*self._setting(folder, last), *(f for n in names[1:] for f in self._storing_to(folder, last, n))]
        for rel in dict.fromkeys(candidates):
            stores, handed = self._writes(rel)
            if stores & prefixes or handed & prefixes:
                return True
        return False

    def _folder_texts(self, folder: str) -> list[tuple[str, str]] | None:
        if folder not in self._texts:
            listed = self.files.python_files(folder, MAX_FILES)
            texts = None if listed is None else \
                [(rel, text) for rel in listed if (text := self.files.read(rel)) is not None]
            self._texts[folder] = texts
            self._read.update(texts or [])
        return self._texts[folder]

    def _storing_to(self, folder: str, module: str, name: str) -> list[str]:
        """The files of ``folder`` naming ``module`` whose text may store to ``.name``: substring tests first,
        so only the few files that mention both meet the regular expressions (a large application has
        thousands)."""
        key = (folder, module, name)
        if key not in self._storing:
            if (folder, module) not in self._naming:
                self._naming[folder, module] = [rel for rel, text in self._folder_texts(folder) or [] if module in text]
            # each file's stored names read once: a search per name asked was names x text (4,000 helpers of one
            # module, each asked whether another file sets it: 6 s)
            self._storing[key] = [rel for rel in self._naming[folder, module] if name in self._stored_names(rel)]
        return self._storing[key]

    def _stored_names(self, rel: str) -> frozenset[str]:
        """The names ``rel`` may store to as ``.name`` (_STORED), or delete (``del x.name``)."""
        if rel not in self._stored:
            text = self._read.get(rel, "")
            self._stored[rel] = frozenset(m.group(1) for m in _STORED.finditer(text)) | frozenset(
                name for line in _DEL_LINE.findall(text) for name in _ATTRIBUTE.findall(line))
        return self._stored[rel]

    def _setting(self, folder: str, module: str) -> list[str]:
        if (folder, module) not in self._setters:
            self._setters[folder, module] = [
                rel for rel, text in self._folder_texts(folder) or []
                if ("setattr" in text or "delattr" in text) and module in text and _SETS_ANY.search(text)]
        return self._setters[folder, module]

    def _writes(self, rel: str) -> tuple[set[str], set[str]]:
        """The dotted names ``rel`` stores to through an imported module, and the dotted objects it hands to
        ``setattr`` / ``delattr``."""
        if rel not in self._parsed:
            stores: set[str] = set()
            handed: set[str] = set()
            text = self._read.get(rel)
            try:
                tree = parse_module(text) if text is not None else None
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
                absolute_module(module, package, node.level, node.module)
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
