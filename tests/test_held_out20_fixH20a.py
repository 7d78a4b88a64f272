"""held-out-20 (issue 16), helper fixH20a: the statements of a PostgreSQL DO block read statically (extract/dobody.py).

The rule-level cases are fixtures (missing-downgrade, drop-index-not-concurrently, downgrade-not-inverse *do_block*);
these pin the reader itself: which shapes it takes, that it leaves everything else opaque, and that a stranger's
text cannot make it slow or deep.
"""

from __future__ import annotations

import pytest

from counting import lines_run
from migcheck.extract.dobody import MAX_DEPTH, read_do
from migcheck.extract.sql import changes_from_sql
from migcheck.vocabulary.changes import AlterColumn, CreateIndex, DropColumn, DropIndex, RawSQL

GUARDED = """DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'doc' AND indexname = 'ix_doc_a') THEN
        CREATE INDEX ix_doc_a ON doc (a);
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_type t JOIN pg_enum e ON t.oid = e.enumtypid
        WHERE t.typname = 'kind' AND e.enumlabel = 'WIKI'
    ) THEN
        ALTER TYPE kind ADD VALUE 'WIKI';
    ELSE
        RAISE NOTICE 'already there';
    END IF;
    BEGIN
        EXECUTE 'DROP INDEX ' || 'ix_old';
        NULL;
    END;
    ALTER TABLE doc ALTER COLUMN b SET NOT NULL;
END
$$ LANGUAGE plpgsql"""


def test_the_statements_of_a_do_block_are_read_on_their_lines() -> None:
    changes = changes_from_sql(GUARDED, 10, dialect="postgresql")
    assert [type(c) for c in changes] == [CreateIndex, RawSQL, DropIndex, AlterColumn]
    index, add_value, drop, alter = changes
    assert [c.line for c in changes] == [13, 19, 24, 27]
    assert index.conditional and index.unless_exists and index.rerun_skipped and index.table == "doc"
    assert index.sql == "CREATE INDEX ix_doc_a ON doc (a)"
    assert add_value.conditional and add_value.absent_enum_labels == ("WIKI",) and not add_value.unless_exists
    assert drop.name == "ix_old" and not drop.conditional
    assert not alter.conditional and alter.nullable is False


def test_an_exists_test_only_makes_the_step_conditional() -> None:
    sql = """DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c') THEN
            ALTER TABLE t DROP COLUMN c;
        END IF;
    END $$"""
    (drop,) = changes_from_sql(sql, 1, dialect="postgresql")
    assert isinstance(drop, DropColumn) and drop.conditional and not drop.unless_exists


def test_a_not_exists_test_of_something_else_names_nothing() -> None:
    sql = """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'ix_a' OR indexname = 'ix_b') THEN
            CREATE INDEX ix_a ON t (a);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_enum WHERE enumlabel = 'A' AND enumsortorder = '1') THEN
            ALTER TYPE k ADD VALUE 'A';
        END IF;
    END $$"""
    index, add_value = changes_from_sql(sql, 1, dialect="postgresql")
    assert index.conditional and not index.unless_exists
    assert add_value.conditional and add_value.absent_enum_labels == ()


@pytest.mark.parametrize("body", [
    "DECLARE n int; BEGIN CREATE INDEX ix ON t (a); END",  # variables
    "BEGIN FOR r IN SELECT 1 LOOP CREATE INDEX ix ON t (a); END LOOP; END",
    "BEGIN CREATE TYPE k AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN NULL; END",
    "BEGIN EXECUTE format('CREATE INDEX %I ON t (a)', 'ix'); END",
    "BEGIN EXECUTE 'CREATE INDEX ix ON t (a)' USING 1; END",
    "BEGIN PERFORM pg_sleep(1); END",
    "BEGIN RAISE EXCEPTION 'no'; END",
    "BEGIN SELECT 1; END",
    "BEGIN EXECUTE E'CREATE INDEX ix ON t (a)'; END",
    "BEGIN EXECUTE 'CREATE INDEX a ON t (a); DROP TABLE t'; END",
    "BEGIN IF x THEN CREATE INDEX ix ON t (a); END; END",  # IF not closed by END IF
    "BEGIN CREATE INDEX ix ON t (a)",  # no END, no semicolon
    "<<outer>> BEGIN CREATE INDEX ix ON t (a); END",
])
def test_what_the_reader_does_not_take_stays_one_opaque_do(body: str) -> None:
    sql = f"DO $$ {body} $$"
    assert read_do(sql) is None
    (change,) = changes_from_sql(sql, 1, dialect="postgresql")
    assert isinstance(change, RawSQL) and change.keyword == "DO" and change.sql == sql


def test_other_languages_and_dialects_stay_opaque() -> None:
    assert read_do("DO LANGUAGE plpython3u $$ BEGIN CREATE INDEX ix ON t (a); END $$") is None
    assert read_do("DO 'BEGIN CREATE INDEX ix ON t (a); END'") is None
    assert read_do("DO $x$ BEGIN CREATE INDEX ix ON t (a); END $x$ LANGUAGE plpgsql") is not None
    (change,) = changes_from_sql("DO SLEEP(1)", 1, dialect="mysql")
    assert isinstance(change, RawSQL)


def test_nesting_is_bounded() -> None:
    deep = MAX_DEPTH + 2
    body = "BEGIN " + "IF a THEN " * deep + "CREATE INDEX ix ON t (a);" + " END IF;" * deep + " END"
    assert read_do(f"DO $$ {body} $$") is None
    shallow = "BEGIN " + "IF a THEN " * 3 + "CREATE INDEX ix ON t (a);" + " END IF;" * 3 + " END"
    read = read_do(f"DO $$ {shallow} $$")
    assert read is not None and len(read) == 1 and read[0].conditional


#: (head, unit, tail): a stranger's body of ``unit`` repeated, each shape one the reader takes apart.
STRANGE = {
    "open parentheses": ("BEGIN ", "IF NOT EXISTS (", " THEN NULL; END IF; END"),
    "statements": ("BEGIN ", "CREATE INDEX ix ON t (a); ", "END"),
    "doubled quotes": ("BEGIN '", "''", " END"),
    "dollar signs": ("BEGIN ", "$a", " END"),
    "comment openers": ("BEGIN ", "/*", " END"),
    "a long guard": ("BEGIN IF NOT EXISTS (", "SELECT 1 FROM pg_indexes WHERE a = 'b' AND ", "1 = 1) THEN NULL; END IF; END"),
}


@pytest.mark.parametrize("shape", sorted(STRANGE))
def test_a_strangers_text_is_read_in_linear_time(shape: str) -> None:
    """Counted, not timed: twice the text runs about twice the lines of Python (quadratic: four times)."""
    head, unit, tail = STRANGE[shape]

    def read(n: int) -> None:
        sql = f"DO $$ {head}{unit * n}{tail} $$"
        read_do(sql)
        changes_from_sql(sql, 1, dialect="postgresql")

    read(1)  # first calls compile and import what later ones reuse
    small, large = lines_run(lambda: read(200)), lines_run(lambda: read(400))
    assert large < 2.5 * small, (small, large)
