"""Pull-request mode: compare the working tree with a git base (``migcheck lint --base origin/main``).

Three questions, answered with the ``git`` command line (no GitPython):

- which revision files did the branch add or change since the merge base (those are linted);
- which revisions that exist at the merge base did it edit or delete (an applied migration
  must never change: databases that ran it will not run it again);
- does each new revision follow a head of the base branch *as it is now* (``REF``'s tip,
  not the merge base): if the base moved on, merging creates two heads.

The working tree counts, untracked files included, so a developer can run it before committing.

git runs only through ``migcheck.sources.git``, hardened for a stranger's checkout (docs/security.md).
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.rules.history import (
    DELETED_MIGRATION,
    MODIFIED_APPLIED_MIGRATION,
    NEW_REVISION_NOT_ON_BASE_HEAD,
)
from migcheck.rules.registry import Hit
from migcheck.sources.discovery import Sources
from migcheck.sources.git import (
    Checkout,
    GitBaseError,
    blob_ids,
    check_ref,
    find_merge_base,
    first_line,
    git,
    locate,
    read_blobs,
)
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import HeaderError, Migration, read_header

FULL_HISTORY = "GitHub Actions: actions/checkout with `fetch-depth: 0`"


@dataclass(eq=False, repr=False)
class BaseFile:
    """A revision file as it is at the merge base."""

    path: str  # relative to the repository root
    revision: str
    text: str


@dataclass(eq=False, repr=False)
class PullRequest:
    ref: str
    checkout: Checkout
    merge_base: str
    #: Resolved paths of files the branch added or changed (working tree vs merge base).
    changed: set[Path] = field(default_factory=set)
    #: Revision files that existed at the merge base and were modified, renamed or deleted.
    touched_base: list[BaseFile] = field(default_factory=list)
    #: The revision graph on the tip of ``ref`` (None: the base has no revisions there).
    tip: RevisionGraph | None = None

    @classmethod
    def build(cls, ref: str, sources: Sources, migrations: list[Migration]) -> PullRequest:
        anchors = [p.resolve() for p in (sources.version_dirs or [p.parent for p in [*sources.python,
                                                                                      *sources.sql]])]
        checkout = locate(anchors)
        repo = checkout.top
        check_ref(checkout, ref)
        merge_base = find_merge_base(checkout, ref)
        specs = sorted({a.relative_to(repo).as_posix() or "." for a in anchors}) or ["."]
        pr = cls(ref=ref, checkout=checkout, merge_base=merge_base)
        pr._read_changes(specs)
        pr.tip = pr._graph_at_tip(specs, migrations)
        return pr

    @property
    def repo(self) -> Path:
        return self.checkout.top

    def touches(self, path: Path) -> bool:
        return _resolved(path) in self.changed

    def _graph_at_tip(self, specs: list[str], migrations: list[Migration]) -> RevisionGraph | None:
        """The revision graph of ``ref``'s tip, headers only.

        A file whose blob on the tip is the one in HEAD, and that the working tree did not change,
        has the header already read from disk; git is asked only for the others (usually the few
        revisions the base gained since the branch started).
        """
        tip = blob_ids(self.checkout, self.ref, specs)
        if tip is None:
            return None
        head = blob_ids(self.checkout, "HEAD", specs) or {}
        on_disk = {_resolved(m.path): m for m in migrations}
        headers: list[Migration] = []
        to_read: list[str] = []
        for path, blob in tip.items():
            if not path.endswith(".py") or path.endswith("__init__.py"):
                continue
            absolute = (self.repo / path).resolve()
            known = on_disk.get(absolute)
            if known is not None and head.get(path) == blob and absolute not in self.changed:
                headers.append(known)
            else:
                to_read.append(path)
        for path, text in zip(to_read, read_blobs(self.checkout, [f"{self.ref}:{p}" for p in to_read]), strict=True):
            header = _header(text)
            if header is not None:
                revision, down, labels = header
                headers.append(Migration(path=self.repo / path, revision=revision, down_revisions=down,
                                         branch_labels=labels))
        return RevisionGraph.build(headers)

    # --- what changed ------------------------------------------------------------------------

    def _read_changes(self, specs: list[str]) -> None:
        diff = git(self.checkout, "diff", "--name-status", "-z", "-M", "--no-ext-diff", "--no-textconv",
                    self.merge_base, "--",
                    *specs)
        if diff.returncode != 0:
            raise GitBaseError(f"git diff against {self.ref} failed: {first_line(diff)}")
        fields = diff.stdout.decode("utf-8", "surrogateescape").split("\0")
        old_paths: list[str] = []
        i = 0
        while i < len(fields) - 1:
            status = fields[i]
            if not status:
                i += 1
                continue
            kind = status[0]
            if kind in "RC":
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                if kind == "R":
                    old_paths.append(old)
                self.changed.add((self.repo / new).resolve())
                continue
            path = fields[i + 1]
            i += 2
            if kind in "MT":
                old_paths.append(path)
                self.changed.add((self.repo / path).resolve())
            elif kind == "D":
                old_paths.append(path)
            else:  # A, U (unmerged), X
                self.changed.add((self.repo / path).resolve())
        untracked = git(self.checkout, "ls-files", "--others", "--exclude-standard", "-z", "--", *specs)
        for path in untracked.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if path:
                self.changed.add((self.repo / path).resolve())
        texts = read_blobs(self.checkout, [f"{self.merge_base}:{p}" for p in old_paths if p.endswith(".py")])
        for path, text in zip([p for p in old_paths if p.endswith(".py")], texts, strict=True):
            revision = _revision_of(text)
            if text is not None and revision is not None:
                self.touched_base.append(BaseFile(path, revision, text))

    # --- findings ----------------------------------------------------------------------------

    def hits(self, migrations: list[Migration]) -> list[tuple[str, Hit]]:
        out: list[tuple[str, Hit]] = []
        current = {m.revision: m for m in migrations}
        short = self.merge_base[:10]
        base_ids = {b.revision for b in self.touched_base} | {
            m.revision for m in migrations if not self.touches(m.path)
        }
        for base in self.touched_base:
            old = self.repo / base.path
            migration = current.get(base.revision)
            if migration is None:
                out.append((DELETED_MIGRATION, Hit(
                    f"revision {base.revision} ({base.path}) exists on {self.ref} and was deleted: databases "
                    f"already at or past it fail with \"Can't locate revision identified by "
                    f"'{base.revision}'\"",
                    line=1, path=old, revision=base.revision,
                    fix=f"restore it (git checkout {short} -- {base.path}); to undo what it did, add a new "
                    f"revision that reverses it",
                )))
                continue
            line = _first_changed_line(base.text, migration)
            if line is None:
                continue  # renamed or reformatted only: the code Alembic runs is the same
            rel = _rel(self.repo, migration.path)
            out.append((MODIFIED_APPLIED_MIGRATION, Hit(
                f"revision {base.revision} exists on {self.ref} and was edited: databases that already ran "
                f"it never run the new version, so they drift from databases built from scratch",
                line=line, path=migration.path, revision=base.revision,
                fix=f"revert the edit (git checkout {short} -- {base.path}"
                f"{'' if rel == base.path else f'; it is now {rel}'}) and make the change in a new "
                f"revision: alembic revision -m \"...\"",
            )))
        if self.tip is None or not self.tip.by_id:
            return out
        tip_heads = [m.revision for m in self.tip.heads]
        heads_text = ", ".join(tip_heads) or "(none)"
        new = {m.revision for m in migrations
               if m.origin == "python" and self.touches(m.path)
               and m.revision not in base_ids and m.revision not in self.tip.by_id}
        for rev in sorted(new):
            migration = current[rev]
            if not migration.down_revisions:
                if migration.branch_labels:
                    continue
                out.append((NEW_REVISION_NOT_ON_BASE_HEAD, Hit(
                    f"new revision {rev} has no down_revision: it starts a second history next to "
                    f"{self.ref}'s head {heads_text}, and `alembic upgrade head` fails with two heads",
                    line=migration.down_line, path=migration.path, revision=rev,
                    fix=f'down_revision = "{tip_heads[0]}"' if len(tip_heads) == 1 else None,
                )))
                continue
            for parent in migration.down_revisions:
                if parent in new or parent in tip_heads:
                    continue
                if self.tip.resolve(parent) is None:
                    continue  # not a revision of the base at all: missing-down-revision says so
                one = len(tip_heads) == 1
                fix = (f'down_revision = "{tip_heads[0]}"  # rebase onto the head of {self.ref}' if one
                       else "after merging, join the heads: alembic merge -m \"merge heads\" heads")
                out.append((NEW_REVISION_NOT_ON_BASE_HEAD, Hit(
                    f"new revision {rev} follows {parent}, which is not a head of {self.ref} "
                    f"(head{'' if one else 's'}: {heads_text}): merging this branch leaves two heads and "
                    f"`alembic upgrade head` fails",
                    line=migration.down_line, path=migration.path, revision=rev, fix=fix,
                )))
        return out


def _revision_of(text: str | None) -> str | None:
    header = _header(text)
    return header[0] if header else None


def _header(text: str | None) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    if text is None:
        return None
    try:
        header = read_header(ast.parse(text))
    except (SyntaxError, ValueError, HeaderError, RecursionError, MemoryError):
        return None
    return (header.revision, header.down_revisions, header.branch_labels) if header else None


def _resolved(path: Path) -> Path:
    """``path.resolve()``, once per path: a run asks about each revision file several times.

    Keyed by the absolute path: a relative one means another file once the working directory changes.
    """
    return _resolved_absolute(os.path.abspath(path))


@functools.lru_cache(maxsize=65536)
def _resolved_absolute(path: str) -> Path:
    return Path(path).resolve()


def _rel(repo: Path, path: Path) -> str:
    try:
        return _resolved(path).relative_to(repo).as_posix()
    except ValueError:
        return str(path)


def _first_changed_line(base_text: str, migration: Migration) -> int | None:
    """The first statement of the current file whose code differs from the base; None if none does.

    Comments and formatting do not count: adding a suppression comment to an old revision changes
    nothing Alembic runs.
    """
    current_text = "\n".join(migration.source_lines) + "\n"
    if current_text.strip() == base_text.strip():
        return None
    try:
        old, new = ast.parse(base_text), ast.parse(current_text)
        return _first_difference(old.body, new.body, fallback=1)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # too deep to compare: the file changed
        return 1


def _first_difference(old: list[ast.stmt], new: list[ast.stmt], fallback: int) -> int | None:
    for index, stmt in enumerate(new):
        if index >= len(old):
            return stmt.lineno
        before = old[index]
        if ast.dump(before) == ast.dump(stmt):
            continue
        functions = ast.FunctionDef | ast.AsyncFunctionDef
        if isinstance(stmt, functions) and isinstance(before, functions) and before.name == stmt.name \
                and ast.dump(before.args) == ast.dump(stmt.args):
            inner = _first_difference(before.body, stmt.body, fallback=stmt.lineno)
            return inner if inner is not None else stmt.lineno
        return stmt.lineno
    if len(old) > len(new):
        return (new[-1].end_lineno or new[-1].lineno) if new else fallback
    return None


