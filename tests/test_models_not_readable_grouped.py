"""One unreadable base of many model classes is one models-not-readable note, not one per class (held-out-26:
a module missing from the checkout gave 93 notes in one project, 9 after)."""

from __future__ import annotations

from conftest import FIXTURES, lint_selected

CASE = FIXTURES / "rules" / "models-not-readable" / "bad_many_classes_of_one_unreadable_base"


def test_classes_of_one_unreadable_base_make_one_note_naming_the_others() -> None:
    code, found = lint_selected(CASE, "models-not-readable")
    assert code == 1
    [note] = found
    assert note["path"].endswith("app/models.py")
    assert note["line"] == 10
    assert note["message"].startswith(
        "Artifact (artifacts) and 3 other model classes (Build (builds), Release (releases), Runner (runners)) "
        "derive from outside.mixins.Audited, which migcheck cannot read")
