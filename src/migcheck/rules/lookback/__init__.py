"""Looking back: what earlier revisions (and earlier steps of this one) did to a table.

Rules use it to recognise safe paths spread over several revisions (a CHECK
(col IS NOT NULL) validated two revisions ago makes SET NOT NULL cheap) and
to learn a column's type when ``existing_type`` was not given. History is the
revision graph: ancestors through ``down_revision`` for ``.py`` revisions,
the ``-- Running upgrade a -> b`` chain for offline SQL files.

``steps`` holds the phases, ancestors and history index the others read; ``columns`` a column's
type, default and nullability; ``existence`` and ``names`` whether a guarded step runs and whether an
object of a name can be there; ``objects`` views, partitions, indexes and validated checks; ``renamed`` a copy and swap's new table.
"""

from __future__ import annotations

from migcheck.rules.history_index import is_commit
from migcheck.rules.lookback.columns import (
    column_creation,
    column_default_text,
    column_nullable,
    column_server_default,
    column_type,
    filled_since_created,
    fills_rows,
)
from migcheck.rules.lookback.existence import (
    already_made,
    certainly_absent,
    changes_nothing,
    may_skip,
    never_runs,
    table_dropped_before,
    table_never_made,
)
from migcheck.rules.lookback.names import never_made
from migcheck.rules.lookback.objects import (
    column_copies,
    created_index,
    index_as_made,
    materialized_view,
    partition_parent,
    validated_not_null_check,
)
from migcheck.rules.lookback.renamed import renamed_new_table
from migcheck.rules.lookback.steps import (
    ancestors,
    before,
    earlier,
    earlier_keyed,
    from_nothing,
    history,
    phase_after,
    phase_before,
    phase_position,
    split_between,
)
from migcheck.rules.table_state import known_columns, table_columns, table_keys

__all__ = [
    "already_made",
    "ancestors",
    "before",
    "certainly_absent",
    "changes_nothing",
    "column_copies",
    "column_creation",
    "column_default_text",
    "column_nullable",
    "column_server_default",
    "column_type",
    "created_index",
    "earlier",
    "earlier_keyed",
    "filled_since_created",
    "fills_rows",
    "from_nothing",
    "history",
    "index_as_made",
    "is_commit",
    "known_columns",
    "materialized_view",
    "may_skip",
    "never_made",
    "never_runs",
    "partition_parent",
    "phase_after",
    "phase_before",
    "phase_position",
    "renamed_new_table",
    "split_between",
    "table_columns",
    "table_dropped_before",
    "table_keys",
    "table_never_made",
    "validated_not_null_check",
]
