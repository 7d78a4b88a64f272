"""How much of one upgrade() or downgrade() migcheck reads: bounded, because a stranger writes the file.

The largest real revision seen (held-out-20, 1,262 revisions) had 114 steps in one function and unrolled 212 helper
calls and loop passes. A crafted file of a few lines can ask for millions (helpers four deep, each calling the next
40 times), and several rules compare the steps of one function pairwise, so a function is read up to
``MAX_STEPS`` steps; where reading stops is reported as invalid-migration-file, an error (nothing past that
line was checked, so the run fails closed), never dropped silently.

Counting calls alone let one call cost anything: a helper of 1,000 statements called from two nested loops of 50
passes is 2,500 calls, within ``UNROLL_BUDGET``, and 2.5 million statements walked (well over a minute). So the work
is bounded too: the first walk of each statement is free (reading a file once costs what its size costs: a real
3 MB revision has one ``upgrade()`` of 13,700 calls), and every later walk of a statement, a helper called again or
another pass of a loop, counts its nodes against ``WORK_BUDGET``.
"""

from __future__ import annotations

from migcheck.vocabulary.changes import LIMIT_KEYWORD, Change, RawSQL

#: Steps kept per upgrade() / downgrade() (or per revision section of an offline SQL file).
MAX_STEPS = 2_000
#: Helper calls and loop passes unrolled per function (extract/python/calls.py).
UNROLL_BUDGET = 5_000
#: Syntax nodes of statements walked again (a helper called a second time, a loop's later passes) per function:
#: what the unrolling may cost, whatever each call holds. Over 838 revisions of ten real projects (sec21) no
#: function walked more than 1,272 nodes again (24 unrolled calls; held-out-20's largest unrolled 212); a crafted
#: function at the budget takes one to two seconds.
WORK_BUDGET = 200_000
#: Entries copied into a new scope (Scope.copied: the names a function knows, a helper's environment) that count as
#: one node of WORK_BUDGET: a copy of a dict entry costs about a hundredth of what walking a node does.
COPIES_PER_NODE = 64
#: Helpers inlined in each other (upgrade() calls h1, h1 calls h2, ...); a deeper call is where reading stops (the
#: same ten projects go three deep).
MAX_DEPTH = 16


def capped(changes: list[Change]) -> list[Change]:
    """``changes`` cut to MAX_STEPS, with one unread step where the cut falls saying how many were left out (the
    unroll budget's own note, when the walk stopped there, is kept before it)."""
    if len(changes) <= MAX_STEPS:
        return changes
    kept = changes[:MAX_STEPS]
    rest = changes[MAX_STEPS:]
    if isinstance(rest[0], RawSQL) and rest[0].keyword == LIMIT_KEYWORD:
        kept.append(rest[0])  # "migcheck follows N helper calls ...": the walk's own reason, already "from here on"
        return kept
    first = rest[0]
    note = RawSQL(text=None, keyword=LIMIT_KEYWORD, understood=False, line=first.line, phase=first.phase, origin=first.origin,
                  reason=f"migcheck reads {MAX_STEPS:,} steps per function, and this one has {MAX_STEPS + len(rest):,}: "
                         f"the {len(rest):,} from here on were not read")
    return [*kept, note]
