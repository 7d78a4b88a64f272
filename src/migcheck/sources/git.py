"""The git command line, hardened for a stranger's checkout: every call pinned, no configured command run.

The linted tree is untrusted (a stranger's pull request), and a folder in it can look like a git
repository (``HEAD``, ``config``, ``objects/``, ``refs/``) whose ``config`` runs commands
(``core.fsmonitor``) and whose refs forge the base. So git never *discovers* a repository here:
:func:`locate` finds the checkout's ``.git`` (which a commit cannot contain) above the linted
path, and every call pins ``--git-dir``/``--work-tree`` with config that no repository
can override (see docs/security.md). Pull-request mode (``migcheck.run.pullrequest``) and the
application reader's view of the base commit (``migcheck.sources.gittree.GitTree``) read git only here.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from migcheck.sources.discovery import checkout_top

FULL_HISTORY = "GitHub Actions: actions/checkout with `fetch-depth: 0`"


class GitBaseError(Exception):
    """Pull-request mode cannot run; the message says what to fetch or fix."""


#: Command-line config outranks every config file, the repository's included: no fsmonitor or hook
#: command runs, and a bare repository is never picked up implicitly (defence in depth: git is never
#: left to discover a repository anyway). ``--no-pager``, ``--no-ext-diff`` and ``--no-textconv``
#: keep the remaining configured commands out.
_HARDENED = (
    "--no-pager", "--literal-pathspecs", "--no-optional-locks",
    "-c", "safe.bareRepository=explicit",
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.untrackedCache=false",
)


@dataclass(frozen=True)
class Checkout:
    """A git checkout, pinned: ``--git-dir`` and ``--work-tree`` on every call, the top as cwd."""

    top: Path
    git_dir: Path  # ``top/.git``: a directory, or the file of a linked worktree or submodule


def git(repo: Checkout, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    # GIT_OPTIONAL_LOCKS=0: read-only, not even the index's stat cache is refreshed.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_EXTERNAL_DIFF", "GIT_PAGER"):
        env.pop(name, None)
    argv = ["git", f"--git-dir={repo.git_dir}", f"--work-tree={repo.top}", *_HARDENED, *args]
    try:
        return subprocess.run(argv, cwd=repo.top, input=stdin, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise GitBaseError("--base needs git, and no `git` command was found on PATH") from None


def out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def first_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    text = proc.stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else f"exit status {proc.returncode}"


def locate(anchors: list[Path]) -> Checkout:
    """The checkout holding ``anchors``: the nearest ``.git`` above the first (the working directory without one).

    Found by looking for ``.git`` upward, as git does for a non-bare repository, but without running
    git: a folder of the linted tree dressed up as a repository is never a candidate, and no
    repository's config is read before the checkout is pinned. Git refuses ``.git`` as a path in a
    commit, so a pull request cannot plant one. The innermost checkout is the right one for a clone
    nested in another repository's tree.
    """
    start = (anchors[0] if anchors[0].is_dir() else anchors[0].parent) if anchors else Path.cwd().resolve()
    top = checkout_top(start)
    if top is None:
        raise GitBaseError(f"--base needs a git repository, and {start} is not inside one "
                           f"(run migcheck from a clone, or lint without --base)")
    for anchor in anchors:
        if not anchor.is_relative_to(top):
            raise GitBaseError(f"{anchor} is outside the git repository at {top}; --base compares "
                               f"files inside one repository")
    checkout = Checkout(top, top / ".git")
    proc = git(checkout, "rev-parse", "--is-inside-work-tree")
    if proc.returncode != 0:
        raise GitBaseError(f"git cannot read the repository at {top}: {first_line(proc)}")
    return checkout


def _is_shallow(repo: Checkout) -> bool:
    return out(git(repo, "rev-parse", "--is-shallow-repository")) == "true"


def _fetch_hint(repo: Checkout, ref: str) -> str:
    """The fetch command that brings ``ref`` into the clone: ``origin/main`` -> ``git fetch origin main``."""
    remotes = out(git(repo, "remote")).split()
    name = ref.removeprefix("refs/remotes/")
    remote, _, branch = name.partition("/")
    if branch and (remote in remotes or not remotes or name != ref):
        return f"git fetch {remote} {branch}"
    return f"git fetch {remotes[0] if remotes else 'origin'} {ref.removeprefix('refs/heads/')}"


def _close_refs(repo: Checkout, ref: str) -> list[str]:
    """Branches, remote-tracking branches and tags spelt like ``ref``."""
    from difflib import get_close_matches

    names = out(git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes",
                      "refs/tags")).split()
    return get_close_matches(ref, [n for n in names if not n.endswith("/HEAD")], n=1, cutoff=0.75)


def check_ref(repo: Checkout, ref: str) -> None:
    if ref.startswith("-"):
        raise GitBaseError(f"--base {ref!r} is not a git ref")
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if proc.returncode == 0:
        return
    close = _close_refs(repo, ref)
    if close:  # a typo (`mian`) is likelier than a missing fetch
        raise GitBaseError(f"base ref {ref!r} not found in this clone; did you mean {close[0]!r}?")
    fetch = _fetch_hint(repo, ref)
    if _is_shallow(repo):
        raise GitBaseError(f"base ref {ref!r} is not in this shallow clone; fetch it with its history: "
                           f"{fetch} --unshallow ({FULL_HISTORY})")
    raise GitBaseError(f"base ref {ref!r} not found in this clone; fetch it first: {fetch}")


def find_merge_base(repo: Checkout, ref: str) -> str:
    if git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        raise GitBaseError("HEAD has no commit yet: commit the branch before comparing it with --base")
    proc = git(repo, "merge-base", "HEAD", ref)
    if proc.returncode == 0 and out(proc):
        return out(proc)
    if _is_shallow(repo):
        raise GitBaseError(f"no merge base between HEAD and {ref}: this clone is shallow and lacks the "
                           f"commit where the branch started; fetch the history: git fetch --unshallow "
                           f"({FULL_HISTORY})")
    raise GitBaseError(f"HEAD and {ref} share no history (no merge base): is {ref!r} the right base branch?")


def read_blobs(repo: Checkout, specs: list[str]) -> list[str | None]:
    """The text of each ``rev:path`` in one ``git cat-file --batch`` (None for missing or undecodable).

    The batch reads one spec per line: a path with a line break in it (git allows one in a commit)
    would split into two requests and shift every answer after it onto the wrong file, so such a
    path is never sent and reads as None.
    """
    sendable = [s for s in specs if "\n" not in s and "\r" not in s]
    if len(sendable) < len(specs):
        texts = iter(read_blobs(repo, sendable))
        return [None if ("\n" in s or "\r" in s) else next(texts) for s in specs]
    if not specs:
        return []
    proc = git(repo, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode())
    data = proc.stdout
    out: list[str | None] = []
    pos = 0
    for _ in specs:
        end = data.find(b"\n", pos)
        if proc.returncode != 0 or end == -1:
            return [*out, *[None] * (len(specs) - len(out))]
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            out.append(None)
            continue
        size = int(header[2])
        blob = data[pos : pos + size]
        pos += size + 1
        try:
            out.append(blob.decode("utf-8-sig"))
        except UnicodeDecodeError:
            out.append(None)
    return out


@dataclass(frozen=True)
class TreeEntry:
    """One file of a commit's tree, as ``git ls-tree -l`` lists it."""

    path: str  # relative to the repository root
    mode: str  # 100644, 100755; 120000 is a symlink
    blob: str
    size: int | None  # bytes, from ``ls-tree -l``: known before a byte of the blob is read


def ls_tree(repo: Checkout, rev: str, specs: list[str]) -> list[TreeEntry] | None:
    """Every file under ``specs`` in ``rev`` (None when git cannot list it), in one ``git ls-tree``."""
    proc = git(repo, "ls-tree", "-r", "-z", "-l", "--full-tree", rev, "--", *specs)
    if proc.returncode != 0:
        return None
    entries = []
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 4 and parts[1] == "blob":
            entries.append(TreeEntry(path, parts[0], parts[2], int(parts[3]) if parts[3].isdigit() else None))
    return entries


def blob_ids(repo: Checkout, rev: str, specs: list[str]) -> dict[str, str] | None:
    """``path -> blob id`` of the files under ``specs`` in ``rev`` (None when git cannot list it)."""
    entries = ls_tree(repo, rev, specs)
    return None if entries is None else {e.path: e.blob for e in entries}
