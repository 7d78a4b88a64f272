"""``--format sarif``: valid against the official SARIF 2.1.0 schema, and what GitHub code scanning reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, run_cli
from gitrepo import git, make_repo
from migcheck.report import ruleinfo, sarif
from migcheck.rules.registry import all_rules, get_rule
from migcheck.run.engine import lint_paths
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.settings import Settings

# The official OASIS schema, kept in the repository (license: tests/schemas/README.md).
SCHEMA_PATH = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
PROJECT = FIXTURES / "integrations"
FAILING = "migrations/versions/0002_orders_status.py"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid(validator: Any, log: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture project in a real git repository, linted from its root."""
    root = make_repo(tmp_path / "repo", copy=PROJECT)
    monkeypatch.chdir(root)
    return root


def sarif_of(*args: str) -> dict[str, Any]:
    run = run_cli("lint", *args, "--format", "sarif")
    assert run.exit_code in (0, 1), run.stderr
    return json.loads(run.stdout)


def test_sarif_of_a_real_project_validates_against_the_official_schema(repo: Path, validator: Any) -> None:
    log = sarif_of(".")
    assert_valid(validator, log)
    assert log["version"] == "2.1.0"
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == [
        "add-not-null-column-without-default",
        "drop-index-not-concurrently",
        "create-index-not-concurrently",
    ]


def test_driver_describes_every_rule_with_help_and_docs_link(repo: Path) -> None:
    driver = sarif_of(".")["runs"][0]["tool"]["driver"]
    assert driver["name"] == "migcheck"
    rules = {r["id"]: r for r in driver["rules"]}
    assert sorted(rules) == [r.id for r in all_rules()]
    for rule in all_rules():
        descriptor = rules[rule.id]
        assert descriptor["shortDescription"]["text"]
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"]
        assert descriptor["helpUri"] == f"{ruleinfo.DOCS_URL_BASE}{rule.id}.md"
        expected = {"error": "error", "warning": "warning", "info": "note"}[rule.severity.label]
        assert descriptor["defaultConfiguration"]["level"] == expected


def test_rule_with_a_doc_page_takes_its_description_and_help_from_it(repo: Path) -> None:
    driver = sarif_of(".")["runs"][0]["tool"]["driver"]
    rule = next(r for r in driver["rules"] if r["id"] == "create-index-not-concurrently")
    assert rule["fullDescription"]["text"].startswith("An index created on a table that already exists")
    assert "## Safe alternative" in rule["help"]["markdown"]
    assert "postgresql_concurrently=True" in rule["help"]["markdown"]
    assert not rule["help"]["markdown"].startswith("# create-index-not-concurrently")
    # plain-text help keeps code comments inside examples, drops the markdown heading marks
    assert "Safe alternative\n" in rule["help"]["text"] and "## " not in rule["help"]["text"]


def test_rule_without_a_doc_page_falls_back_to_its_summary() -> None:
    rule = get_rule("multiple-heads")
    assert rule is not None
    descriptor = sarif.rule_descriptor(rule)
    # ``alembic upgrade head`` in the docstring becomes markdown code, and plain text in descriptions
    assert (
        descriptor["shortDescription"]["text"]
        == "More than one head on a branch: alembic upgrade head refuses to run."
    )
    assert "`alembic upgrade head`" in descriptor["help"]["markdown"]


def test_results_carry_rule_level_message_and_repository_relative_location(repo: Path) -> None:
    run = sarif_of(".")["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    result = run["results"][2]
    assert result["ruleId"] == "create-index-not-concurrently"
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert result["level"] == "error"
    assert result["message"]["text"].startswith("index ix_orders_status on existing table orders")
    assert "postgresql_concurrently=True" in result["message"]["text"]  # the fix travels with it
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": FAILING, "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 18
    assert result["properties"]["revision"] == "0002"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    warning = run["results"][1]
    assert (warning["ruleId"], warning["level"]) == ("drop-index-not-concurrently", "warning")


def test_paths_are_relative_to_the_repository_root_when_linting_from_a_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "mono", copy=PROJECT, into="services/billing")
    monkeypatch.chdir(root / "services" / "billing")
    uri = sarif_of(".")["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": f"services/billing/{FAILING}", "uriBaseId": "%SRCROOT%"}


def test_outside_a_git_repository_paths_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.copytree(PROJECT, tmp_path / "plain")
    monkeypatch.chdir(tmp_path / "plain")
    if any((parent / ".git").exists() for parent in Path.cwd().parents):
        pytest.skip("the temp directory is inside a git repository")
    uri = sarif_of(".")["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": FAILING, "uriBaseId": "%SRCROOT%"}


def test_uris_are_percent_encoded(repo: Path, write_revision: Any, validator: Any) -> None:
    write_revision(
        "0003 add #tag.py",
        """
        revision = "0003"
        down_revision = "0002"

        def upgrade():
            op.drop_column("orders", "status")

        def downgrade():
            pass
        """,
        directory=repo / "migrations" / "versions",
    )
    log = sarif_of(".")
    assert_valid(validator, log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    }
    assert "migrations/versions/0003%20add%20%23tag.py" in uris


def _result_with(finding: Finding, root: Path) -> dict[str, Any]:
    result = lint_paths([root], Settings())
    result.findings = [finding]
    return sarif.document(result, root=root, cwd=root)


def test_suppressed_findings_are_kept_as_sarif_suppressions_with_their_reason(
    repo: Path, validator: Any
) -> None:
    finding = Finding(
        "drop-column",
        Severity.ERROR,
        "column orders.status is dropped",
        FAILING,
        16,
        suppressed=True,
        suppression_reason="column unused since release 41",
        extra={"suppression_kind": "inline"},
    )
    log = _result_with(finding, repo)
    assert_valid(validator, log)
    (result,) = log["runs"][0]["results"]
    assert result["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "column unused since release 41"}
    ]


def test_suppression_without_a_known_source_is_external_and_info_is_a_note(
    repo: Path, validator: Any
) -> None:
    suppressed = Finding("drop-table", Severity.INFO, "m", FAILING, 3, suppressed=True)
    log = _result_with(suppressed, repo)
    assert_valid(validator, log)
    (result,) = log["runs"][0]["results"]
    assert result["level"] == "note"
    assert result["suppressions"] == [{"kind": "external", "status": "accepted"}]


def test_output_is_deterministic(repo: Path) -> None:
    first = run_cli("lint", ".", "--format", "sarif").stdout
    second = run_cli("lint", ".", "--format", "sarif").stdout
    assert first == second


def assert_github_requirements(log: dict[str, Any], repo: Path) -> None:
    """What GitHub's "SARIF support for code scanning" page requires beyond the schema.

    docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning:
    version 2.1.0; at most 20 runs, 25,000 results and 25,000 rules a run; rules with an id and a
    shortDescription (at most 1,024 characters, fullDescription likewise), at most 20 tags;
    results with ruleId, message.text, 1-10 locations, a repository-relative artifactLocation.uri
    and region.startLine, and partialFingerprints (strings) so alerts are not duplicated across
    runs; runAutomationDetails.id is `category/run-id`, the category being what precedes the last `/`.
    """
    assert log["version"] == "2.1.0" and log["$schema"]
    assert 1 <= len(log["runs"]) <= 20
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] and driver["version"]
        rule_ids = [r["id"] for r in driver["rules"]]
        assert len(rule_ids) == len(set(rule_ids)) and len(rule_ids) <= 25_000
        for rule in driver["rules"]:
            assert 0 < len(rule["shortDescription"]["text"]) <= 1024, rule["id"]
            assert 0 < len(rule["fullDescription"]["text"]) <= 1024, rule["id"]
            tags = rule["properties"]["tags"]
            assert len(tags) <= 20 and all(isinstance(tag, str) for tag in tags)
        assert len(run["results"]) <= 25_000
        automation = run["automationDetails"]["id"]
        assert "/" in automation and automation.rpartition("/")[0]  # a non-empty category
        for result in run["results"]:
            assert result["ruleId"] in rule_ids and result["message"]["text"]
            assert 1 <= len(result["locations"]) <= 10
            physical = result["locations"][0]["physicalLocation"]
            artifact = physical["artifactLocation"]
            assert not artifact["uri"].startswith(("/", "file:")) and "\\" not in artifact["uri"]
            assert (repo / artifact["uri"]).is_file()
            assert physical["region"]["startLine"] >= 1
            fingerprints = result["partialFingerprints"]
            assert fingerprints and all(isinstance(k, str) and isinstance(v, str) and v
                                        for k, v in fingerprints.items())


def test_github_code_scanning_requirements(repo: Path) -> None:
    log = sarif_of(".")
    assert log["runs"][0]["results"]
    assert_github_requirements(log, repo)
    assert log["runs"][0]["automationDetails"] == {"id": "migcheck/"}
    assert log["runs"][0]["properties"]["scope"] == "2 revisions in 2 files"


def _fingerprints(log: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {
        r["ruleId"]: (r["partialFingerprints"][sarif.FINGERPRINT_KEY],
                      r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in log["runs"][0]["results"]
    }


def test_fingerprints_survive_line_moves_and_follow_the_statement(repo: Path) -> None:
    """An alert keeps its identity when lines are added above it; a changed statement is a new alert."""
    before = _fingerprints(sarif_of("."))
    path = repo / FAILING
    path.write_text(path.read_text().replace("import sqlalchemy as sa\n", "import sqlalchemy as sa\n\n# moved\n\n"))
    moved = _fingerprints(sarif_of("."))
    assert {rule: fp for rule, (fp, _) in moved.items()} == {rule: fp for rule, (fp, _) in before.items()}
    assert all(moved[rule][1] == before[rule][1] + 3 for rule in before)
    path.write_text(path.read_text().replace('["status"]', '["status", "id"]'))
    changed = _fingerprints(sarif_of("."))
    assert changed["create-index-not-concurrently"][0] != before["create-index-not-concurrently"][0]
    assert changed["drop-index-not-concurrently"][0] == before["drop-index-not-concurrently"][0]


def test_identical_statements_in_one_revision_get_distinct_fingerprints(repo: Path) -> None:
    path = repo / FAILING
    path.write_text(path.read_text().replace(
        '    op.create_index("ix_orders_status", "orders", ["status"])\n',
        '    op.create_index("ix_orders_status", "orders", ["status"])\n'
        '    op.create_index("ix_orders_status", "orders", ["status"])\n'))
    results = [r for r in sarif_of(".")["runs"][0]["results"] if r["ruleId"] == "create-index-not-concurrently"]
    assert len(results) == 2
    assert len({r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results}) == 2


def test_pull_request_runs_have_their_own_category_and_state_their_scope(repo: Path) -> None:
    """A --base run lints part of the history: its own category, so main's alerts are not closed by it."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "migrations" / "versions" / "0003_drop_note.py").write_text(
        'revision = "0003"\ndown_revision = "0002"\nfrom alembic import op\n\n\n'
        'def upgrade():\n    op.drop_column("orders", "note")\n\n\ndef downgrade():\n    pass\n'
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "0003")
    log = sarif_of(".", "--base", "main")
    assert_github_requirements(log, repo)
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "migcheck-pull-request/"}
    assert run["properties"] == {"scope": "1 of 3 revisions linted, 3 files", "revisions": 3,
                                 "lintedRevisions": 1, "base": "main"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {
        "migrations/versions/0003_drop_note.py"}
    enabled = {r["id"]: r["defaultConfiguration"]["enabled"] for r in run["tool"]["driver"]["rules"]}
    assert enabled["model-not-in-migrations"] is True  # on by default with --base
    whole = sarif_of(".")["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"]: r["defaultConfiguration"]["enabled"] for r in whole}["model-not-in-migrations"] is False
    assert all(enabled[r["id"]] == r["defaultConfiguration"]["enabled"]
               for r in whole if r["id"] != "model-not-in-migrations")


def test_inline_suppressions_become_in_source_sarif_suppressions(tmp_path) -> None:
    """The adoption fixture's suppressed findings carry their reason into SARIF."""
    import json as _json

    from conftest import FIXTURES, run_cli

    out = tmp_path / "out.sarif"
    run_cli("lint", FIXTURES / "adoption" / "suppressed", "--format", f"sarif:{out}")
    results = _json.loads(out.read_text())["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert suppressed, "the fixture has inline suppressions"
    for result in suppressed:
        [suppression] = result["suppressions"]
        assert suppression["kind"] == "inSource"
    reasons = {s["suppressions"][0].get("justification") for s in suppressed}
    assert "the old column layout is gone for good; restore from backup instead" in reasons
