"""What users see for the held-out-6 operation-rule fixes (issue #16): messages that say what is true.

Most fixes are covered by their rule's fixtures (fixtures/rules/<rule>/bad_*, safe_*); this module checks
the message where a finding stays but its wording changed.
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def test_a_redefined_constraint_is_reported_once_as_kept_with_its_new_definition() -> None:
    case = FIXTURES / "rules" / "downgrade-not-inverse" / "bad_redefined_constraint.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--select", "downgrade-not-inverse",
                  "--fail-on", "never")
    messages = {f["line"]: f["message"] for f in run.json()["findings"]}
    assert set(messages) == {13, 14}
    assert messages[13].startswith("the upgrade redefines constraint event_ibfk_2 (drops it at line 12 and creates "
                                   "it again) (line 13), but downgrade() (line 17) does not restore its old "
                                   "definition: after `alembic downgrade` it keeps the definition the upgrade gave it")
    assert "already exists" not in messages[13]
    assert "drops type mood" in messages[14]
