"""The suite runs from a fresh clone on every supported Python: nothing outside the repository,
no module that the oldest supported Python lacks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

TESTS = ROOT / "tests"
# Standard-library modules newer than Python 3.10, the oldest the package supports.
NEWER_THAN_310 = {"tomllib": "3.11"}


def _test_sources() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _guarded_by_version(tree: ast.Module) -> set[int]:
    """Lines inside `if sys.version_info >= ...:` blocks (where a newer module may be imported)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "version_info" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def test_no_test_imports_a_module_the_oldest_python_lacks() -> None:
    offenders = []
    for path in _test_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = _guarded_by_version(tree)
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.split(".")[0] in NEWER_THAN_310 and node.lineno not in guarded:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not offenders, offenders


def test_no_test_reads_outside_the_repository() -> None:
    """`../shared` is not in a fresh clone: the SARIF schema lives under tests/schemas/."""
    pattern = re.compile(r"""ROOT\.parent\b|["']\.\./|/\s*["']shared["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _test_sources() if path.name != "test_self_contained.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


def test_the_sarif_schema_is_the_official_one_with_its_license() -> None:
    import json

    schema = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    notice = (TESTS / "schemas" / "README.md").read_text(encoding="utf-8")
    assert "Copyright © OASIS Open" in notice


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", readme.split("\n## ", 1)[0])


def test_readme_first_command_lints_and_verifies_the_demo() -> None:
    first, second = _readme_commands()
    assert first.startswith('python -m pip install ".[live]" && ')
    assert "migcheck lint fixtures/demo" in first and "migcheck verify fixtures/demo" in first
    assert second == 'python -m pip install -e ".[test]" && python -m pytest'


def test_ci_runs_the_oldest_and_newest_python_then_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script  # any failing step, pytest's exit 5 (no tests) included, fails CI
    commands = [line for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == _readme_commands()[1]
    oldest = re.search(r'requires-python = ">=(3\.\d+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert oldest == "3.10"
    assert f"/root/.pyenv/versions/{oldest}.13/bin/python{oldest}" in script
    assert "/root/.pyenv/versions/3.13.0/bin/python3.13" in script
    assert '-m pytest -q -p no:cacheprovider\n' in script  # not masked by `|| true` or a pipe
    assert "|| true" not in script and "; true" not in script
