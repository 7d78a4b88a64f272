"""Module names to files, the way ``sys.path`` would find them, without importing anything.

Roots: the project root, ``src/`` when present, the package roots pyproject.toml / setup.cfg
declare, and the folders above env.py (env.py files commonly put their parent on ``sys.path``).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from migcheck.extract.models.files import ProjectFiles
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


def _declared_roots(files: ProjectFiles) -> list[str]:
    """Package roots declared by setuptools, poetry, hatch (pyproject.toml) and setup.cfg."""
    roots: list[str] = []
    data = toml_file(files, "pyproject.toml")
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
    text = files.read("setup.cfg")
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


class ModuleFinder:
    def __init__(self, files: ProjectFiles, roots: list[str]) -> None:
        self.files, self.roots = files, roots
        self._memo: dict[str, tuple[str, bool] | None] = {}

    def find(self, dotted: str) -> tuple[str, bool] | None:
        """``(path, is_package)`` of the module's file inside the project, or None (not the app's)."""
        if dotted in self._memo:
            return self._memo[dotted]
        found: tuple[str, bool] | None = None
        parts = [p for p in dotted.split(".") if p]
        if parts and all(p.isidentifier() for p in parts):
            for root in self.roots:
                base = "/".join([root, *parts]) if root else "/".join(parts)
                if self.files.is_file(base + ".py"):
                    found = (base + ".py", False)
                    break
                if self.files.is_file(base + "/__init__.py"):
                    found = (base + "/__init__.py", True)
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
