"""The house plan holds: each stage imports only the stages below it.

The order is declared once, in pyproject.toml's ``[tool.importlinter]``, and drawn in
docs/architecture.md; import-linter reads every import of the package, those inside functions and
under ``TYPE_CHECKING`` included, so a cycle between stages (``live.rules`` <-> ``rules`` once) or
an upward import fails here with the chain that makes it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = config["tool"]["importlinter"]["contracts"]
    return list(contract["layers"])


def test_stages_import_downward_only() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_every_package_and_module_has_its_place() -> None:
    """A new folder or module at the top must be placed in the order, or it escapes the check."""
    package = ROOT / "src" / "migcheck"
    tops = {p.stem for p in package.iterdir() if (p.suffix == ".py" or (p / "__init__.py").is_file())}
    unplaced = tops - set(_layers()) - {"__init__", "__main__"}
    assert not unplaced, f"add {sorted(unplaced)} to [tool.importlinter] layers in pyproject.toml"


def test_the_architecture_page_draws_the_same_order() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    drawn = re.search(r"```text\nimport direction.*?\n(.*?)```", text, re.S)
    assert drawn, "docs/architecture.md lost its import-direction drawing"
    names = re.findall(r"^\s*(?:[│├└─ ]*)([a-z_]+)[/ ]", drawn.group(1), re.M)
    assert [n for n in names if n in _layers()] == _layers()
