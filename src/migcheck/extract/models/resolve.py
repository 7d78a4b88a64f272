"""Module names to files, the way ``sys.path`` would find them, without importing anything.

Roots: the project root, ``src/`` when present, the package roots pyproject.toml / setup.cfg
declare, those of the project's local packages (a uv workspace's members, a uv or poetry ``path``
dependency inside the project: installed from the same checkout), and the folders above env.py
(env.py files commonly put their parent on ``sys.path``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from migcheck.extract.models.files import ProjectFiles, clean_rel
from migcheck.guard import toml


def toml_file(files: ProjectFiles, rel: str) -> dict[str, Any]:
    """A TOML file of the project, parsed; {} when absent or not valid TOML."""
    text = files.read(rel)
    if text is None:
        return {}
    try:
        return toml.loads(text)
    except toml.TomlError:
        return {}


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...``: the nested TOML table, or {} where a key is missing or holds something else."""
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def _declared_roots(files: ProjectFiles, base: str = "") -> list[str]:
    """Package roots declared by setuptools, poetry, hatch (pyproject.toml) and setup.cfg of the project, or
    of its local package in the folder ``base`` (then relative to the project, like every root)."""
    roots = _own_roots(files, base)
    return [str(PurePosixPath(base) / r) if base else r for r in roots]


def _own_roots(files: ProjectFiles, base: str) -> list[str]:
    """The roots ``base``'s pyproject.toml and setup.cfg declare, relative to ``base``."""
    roots: list[str] = []
    data = toml_file(files, f"{base}/pyproject.toml" if base else "pyproject.toml")
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    setuptools = tool.get("setuptools") if isinstance(tool.get("setuptools"), dict) else {}
    assert isinstance(setuptools, dict)
    package_dir = setuptools.get("package-dir")
    if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
        roots.append(package_dir[""])
    packages = setuptools.get("packages")
    find = packages.get("find") if isinstance(packages, dict) else None
    if isinstance(find, dict) and isinstance(find.get("where"), list):
        roots += [w for w in find["where"] if isinstance(w, str)]
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    assert isinstance(poetry, dict)
    for item in poetry.get("packages", []) if isinstance(poetry.get("packages"), list) else []:
        if isinstance(item, dict) and isinstance(item.get("from"), str):
            roots.append(item["from"])
    wheel = _table(tool, "hatch", "build", "targets", "wheel")  # ``build = 1`` is a table of nothing, not a crash
    if isinstance(wheel, dict) and isinstance(wheel.get("packages"), list):
        roots += [str(PurePosixPath(p).parent) for p in wheel["packages"] if isinstance(p, str)]
    text = files.read(f"{base}/setup.cfg" if base else "setup.cfg")
    if text:
        import configparser  # only when the file is there

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            parser = configparser.ConfigParser()
        value = parser.get("options", "package_dir", fallback="") if parser.has_section("options") else ""
        for line in value.replace(";", "\n").splitlines():
            key, sep, folder = line.partition("=")
            if sep and not key.strip() and folder.strip():
                roots.append(folder.strip())
        where = parser.get("options.packages.find", "where", fallback="") \
            if parser.has_section("options.packages.find") else ""
        if where.strip():
            roots.append(where.strip())
    return roots


def module_roots(files: ProjectFiles, env_rel: str | None) -> list[str]:
    """Folders (project-relative) that act as ``sys.path`` entries, most likely first."""
    roots = ["", *(["src"] if files.is_dir("src") else []), *_declared_roots(files)]
    for package in local_packages(files):
        roots += [package, *([f"{package}/src"] if files.is_dir(f"{package}/src") else []),
                  *_declared_roots(files, package)]
    if env_rel:
        parent = PurePosixPath(env_rel).parent
        while str(parent) not in (".", ""):
            roots.append(str(parent))
            parent = parent.parent
    out: list[str] = []
    for root in roots:
        clean = str(PurePosixPath(root.strip().rstrip("/"))) if root.strip() else ""
        clean = "" if clean == "." else clean
        if clean not in out and (clean == "" or files.is_dir(clean)):
            out.append(clean)
    return out


#: How many Python files are listed to expand a workspace's member globs (``packages/*``).
_MAX_LISTED = 20_000


def local_packages(files: ProjectFiles) -> list[str]:
    """Folders (project-relative) of the packages the project installs from its own checkout: the members of
    its uv workspace (``[tool.uv.workspace] members``, globs expanded, ``exclude`` left out) and the ``path``
    dependencies of ``[tool.uv.sources]`` and poetry that stay inside it (held-out-21 #89: palace's mixins
    derive from ``palace.util.log.LoggerMixin`` of ``packages/palace-util/src``)."""
    tool = _table(toml_file(files, "pyproject.toml"), "tool")
    workspace = _table(tool, "uv", "workspace")
    members = _strings(workspace.get("members"))
    excluded = [x for x in (clean_rel(e.strip().rstrip("/")) for e in _strings(workspace.get("exclude"))) if x]
    paths = [v.get("path") for v in _table(tool, "uv", "sources").values() if isinstance(v, dict)]
    poetry = _table(tool, "poetry")
    groups = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies"),
              *(_table(g, "dependencies") for g in _table(poetry, "group").values() if isinstance(g, dict))]
    paths += [v.get("path") for deps in groups for v in deps.values() if isinstance(v, dict)]
    out: list[str] = []
    for pattern in [*members, *(p for p in paths if isinstance(p, str))]:
        clean = clean_rel(pattern.strip().rstrip("/"))
        if not clean:
            continue  # the project itself, or a folder outside it
        found = _expand(files, clean) if any(c in clean for c in "*?[") else [clean]
        out += [f for f in found if f not in out and files.is_dir(f) and not any(fnmatchcase(f, x) for x in excluded)]
    return out


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _expand(files: ProjectFiles, pattern: str) -> list[str]:
    """The folders a workspace glob (``packages/*``) names that hold a package (a pyproject.toml, or a setup.py
    or setup.cfg), found from the Python files under the glob's literal prefix."""
    parts = pattern.split("/")
    fixed = next((i for i, p in enumerate(parts) if any(c in p for c in "*?[")), len(parts))
    under = "/".join(parts[:fixed])
    if "**" in pattern or (under and not files.is_dir(under)):
        return []
    listed = files.python_files(under, _MAX_LISTED) or []
    folders = dict.fromkeys("/".join(p.split("/")[:len(parts)]) for p in listed if p.count("/") >= len(parts))
    return [f for f in folders
            if all(fnmatchcase(a, b) for a, b in zip(f.split("/"), parts, strict=True))
            and any(files.is_file(f"{f}/{m}") for m in ("pyproject.toml", "setup.py", "setup.cfg"))]


class ModuleFinder:
    def __init__(self, files: ProjectFiles, roots: list[str]) -> None:
        self.files, self.roots = files, roots
        self._memo: dict[str, tuple[str, bool] | None] = {}

    def find(self, dotted: str) -> tuple[str, bool] | None:
        """``(path, is_package)`` of the module's file inside the project, or None (not the app's)."""
        if dotted in self._memo:
            return self._memo[dotted]
        found: tuple[str, bool] | None = None
        parts = dotted.split(".")  # ``app.models.`` (an ``__all__`` entry ``""``) is no module: never ``app.models``
        if all(p.isidentifier() for p in parts):
            for root in self.roots:
                base = "/".join([root, *parts]) if root else "/".join(parts)
                # Python's order: a package directory shadows a module file of the same name (``utils/database/``
                # over ``utils/database.py``); read the other, and a planted file would be what migcheck trusts
                if self.files.is_file(base + "/__init__.py"):
                    found = (base + "/__init__.py", True)
                    break
                if self.files.is_file(base + ".py"):
                    found = (base + ".py", False)
                    break
        self._memo[dotted] = found
        return found

    def name_of(self, rel: str) -> str | None:
        """The dotted module name of a project file, from the first root that holds it."""
        path = PurePosixPath(rel)
        for root in self.roots:
            try:
                inner = path.relative_to(root) if root else path
            except ValueError:
                continue
            parts = list(inner.with_suffix("").parts)
            if parts and parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(p.isidentifier() for p in parts):
                return ".".join(parts)
        return None
