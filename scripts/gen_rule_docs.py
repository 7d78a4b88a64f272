"""Write docs/rules/<id>.md for every rule, docs/rules/index.md, docs/README-rules.md, and the
rule table in README.md (between its rules-table markers).

Run after adding or changing a rule, its documentation page or its peer mapping:

    PYTHONPATH=src python scripts/gen_rule_docs.py

The README rule table is printed too. tests/test_rule_docs.py fails when the committed files
(README.md included) differ from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from migcheck.rules.docgen import README_TABLE_FILE, splice_readme, write_all  # noqa: E402


def main() -> int:
    docs = ROOT / "docs"
    written = write_all(docs)
    readme = ROOT / "README.md"
    if readme.is_file():
        table = (docs / README_TABLE_FILE).read_text(encoding="utf-8")
        readme.write_text(splice_readme(readme.read_text(encoding="utf-8"), table), encoding="utf-8")
    print((docs / README_TABLE_FILE).read_text(encoding="utf-8"), end="")
    print(f"\nwrote {len(written)} files under {docs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
