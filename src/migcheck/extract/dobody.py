"""The statements of a PostgreSQL ``DO $$ BEGIN ... END $$`` block, read without running it.

Hand-written revisions wrap DDL in anonymous PL/pgSQL blocks to make it idempotent: ``IF NOT EXISTS (SELECT 1
FROM pg_indexes WHERE indexname = 'ix') THEN CREATE INDEX ix ON t (c); END IF;``. Read as one opaque statement
the block hides what it does, so later revisions lose the index's table and a downgrade's DROPs go uncounted
(held-out-20 #47, #55-#58, #87, #89). This reader takes only the plain shapes: plain SQL statements, ``EXECUTE
'literal'``, ``NULL;``, ``RAISE NOTICE``, nested ``BEGIN ... END`` and ``IF ... THEN ... [ELSIF ...] [ELSE ...] END
IF``. A ``NOT EXISTS (SELECT ... FROM <catalog> WHERE name = 'x' ...)`` condition says which object must be missing
(pg_enum's label, an index, a table, a column, a constraint), as the Python front end's existence guards do.
Anything else (DECLARE, loops, variables, exception handlers, dynamic SQL) makes the whole block unread: the caller
keeps it as the one opaque statement it was.

The text is a stranger's: one linear pass makes the tokens (no backtracking pattern), and nesting is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migcheck.extract.sqlsplit import block_comment_end
from migcheck.vocabulary.lazyregex import lazy_regex

_DOLLAR_TAG = lazy_regex(r"\$[A-Za-z_0-9]*\$")
#: Nesting of IF and BEGIN blocks read; deeper blocks are left unread.
MAX_DEPTH = 8
#: Tokens of a body read at most; a longer block is left unread.
MAX_TOKENS = 50_000
#: Severities of RAISE that only send a message and go on.
_MESSAGES = frozenset({"NOTICE", "INFO", "DEBUG", "LOG", "WARNING"})
#: First words of the SQL statements taken as written inside a block: what PL/pgSQL runs as plain SQL
#: with no result to keep (a SELECT without INTO fails there, transaction control and cursors are left unread).
_PLAIN_SQL = frozenset({"ALTER", "ANALYZE", "CALL", "CLUSTER", "COMMENT", "CREATE", "DELETE", "DROP", "GRANT", "INSERT",
                        "LOCK", "REFRESH", "REINDEX", "REVOKE", "TRUNCATE", "UPDATE"})
#: Catalog columns an existence test may compare with a literal: the object's name, its table, its schema.
_NAME_COLUMNS = frozenset({"enumlabel", "enumtypid", "typname", "indexname", "tablename", "relname", "conname", "table_name",
                           "column_name", "constraint_name", "schemaname", "table_schema", "nspname",
                           "constraint_schema", "attname"})

Asked = tuple[object, ...]


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "str" (a quoted or dollar-quoted literal), "ident" (a quoted name), "punct"
    start: int
    end: int
    value: str


@dataclass
class BodyStatement:
    """One statement the block runs, with what must hold for it to run."""

    text: str
    #: Where it starts in the DO statement's text (for its line).
    offset: int
    #: Under an IF.
    conditional: bool = False
    #: Labels a ``NOT EXISTS (SELECT ... pg_enum ... enumlabel = 'x')`` around it requires missing.
    absent_enum_labels: tuple[str, ...] = ()
    #: Objects such guards require missing, in the shapes of extract/python/guards.Asked.
    absent: list[Asked] = field(default_factory=list)


def read_do(sql: str) -> list[BodyStatement] | None:
    """The statements of ``DO [LANGUAGE plpgsql] $tag$ BEGIN ... END $tag$ [LANGUAGE plpgsql]``, or None when the
    block holds anything this reader does not take."""
    head = _tokens(sql, 0, len(sql))
    if head is None or not head or _word(head[0]) != "DO":
        return None
    rest = head[1:]
    if rest and _word(rest[0]) == "LANGUAGE":
        if len(rest) < 2 or _word(rest[1]) != "PLPGSQL":
            return None
        rest = rest[2:]
    if not rest or rest[0].kind != "str" or sql[rest[0].start] != "$":
        return None
    body = rest[0]
    tail = [_word(t) for t in rest[1:] if t.value != ";"]
    if tail not in ([], ["LANGUAGE", "PLPGSQL"]):
        return None
    tag_len = sql.index("$", body.start + 1) - body.start + 1
    tokens = _tokens(sql, body.start + tag_len, body.end - tag_len)
    if tokens is None:
        return None
    reader = _Reader(sql, tokens)
    return reader.top()


class _Reader:
    """Recursive descent over the body's tokens; ``None`` from any step leaves the block unread."""

    def __init__(self, sql: str, tokens: list[_Token]) -> None:
        self.sql = sql
        self.tokens = tokens
        self.i = 0

    def top(self) -> list[BodyStatement] | None:
        if not self._take("BEGIN"):
            return None
        out = self._statements(0, False, (), [])
        if out is None or not self._take("END"):
            return None
        if self.i < len(self.tokens) and self.tokens[self.i].value == ";":
            self.i += 1
        return out if self.i == len(self.tokens) else None

    def _peek(self) -> str:
        return _word(self.tokens[self.i]) if self.i < len(self.tokens) else ""

    def _take(self, word: str) -> bool:
        if self._peek() == word:
            self.i += 1
            return True
        return False

    def _semicolon(self) -> int | None:
        """The index of the next ``;`` token from here."""
        for j in range(self.i, len(self.tokens)):
            if self.tokens[j].value == ";" and self.tokens[j].kind == "punct":
                return j
        return None

    def _statements(self, depth: int, conditional: bool, labels: tuple[str, ...],
                    absent: list[Asked]) -> list[BodyStatement] | None:
        if depth > MAX_DEPTH:
            return None
        out: list[BodyStatement] = []
        while True:
            word = self._peek()
            if word in {"", "END", "ELSIF", "ELSEIF", "ELSE", "EXCEPTION"}:
                return out if word else None
            if word == "IF":
                found = self._if(depth, labels, absent)
            elif word == "BEGIN":
                self.i += 1
                found = self._statements(depth + 1, conditional, labels, absent)
                if found is None or not self._take("END") or not self._take_semicolon():
                    return None
            else:
                found = self._simple(conditional, labels, absent)
            if found is None:
                return None
            out.extend(found)

    def _take_semicolon(self) -> bool:
        if self.i < len(self.tokens) and self.tokens[self.i].value == ";" and self.tokens[self.i].kind == "punct":
            self.i += 1
            return True
        return False

    def _simple(self, conditional: bool, labels: tuple[str, ...],
                absent: list[Asked]) -> list[BodyStatement] | None:
        """One statement up to its ``;``."""
        first = self.tokens[self.i]
        word = _word(first)
        end = self._semicolon()
        if end is None:
            return None
        parts = self.tokens[self.i + 1:end]
        self.i = end + 1
        if word == "NULL" and not parts:
            return []
        if word == "RAISE":
            return [] if parts and _word(parts[0]) in _MESSAGES else None
        if word == "EXECUTE":
            text = _concatenated(parts)
            if text is None or ";" in text.strip().rstrip(";"):
                return None
            return [BodyStatement(text.strip().rstrip(";"), first.start, conditional, labels, list(absent))]
        if word not in _PLAIN_SQL or any(_word(t) == "INTO" and word not in {"INSERT"} for t in parts):
            return None
        text = self.sql[first.start:self.tokens[end].start].strip()
        return [BodyStatement(text, first.start, conditional, labels, list(absent))]

    def _if(self, depth: int, labels: tuple[str, ...], absent: list[Asked]) -> list[BodyStatement] | None:
        """``IF cond THEN ... [ELSIF cond THEN ...] [ELSE ...] END IF;``: the first branch keeps what its condition
        requires missing; the others only run under a condition."""
        out: list[BodyStatement] = []
        first = True
        while True:
            self.i += 1  # IF, ELSIF or ELSEIF
            start, depth_of = self.i, 0
            while self.i < len(self.tokens) and not (depth_of == 0 and self._peek() == "THEN"):
                value = self.tokens[self.i].value
                depth_of += 1 if value == "(" else -1 if value == ")" else 0
                self.i += 1
            if self.i >= len(self.tokens):
                return None
            condition = self.tokens[start:self.i]
            self.i += 1  # THEN
            more_labels, more_absent = _guard(condition) if first else ((), [])
            found = self._statements(depth + 1, True, labels + more_labels, absent + more_absent)
            if found is None:
                return None
            out.extend(found)
            first = False
            if self._peek() not in {"ELSIF", "ELSEIF"}:
                break
        if self._take("ELSE"):
            found = self._statements(depth + 1, True, labels, absent)
            if found is None:
                return None
            out.extend(found)
        if not (self._take("END") and self._take("IF") and self._take_semicolon()):
            return None
        return out


def _guard(condition: list[_Token]) -> tuple[tuple[str, ...], list[Asked]]:
    """What ``NOT EXISTS (SELECT ... FROM <catalog> WHERE col = 'x' AND ...)`` requires missing: pg_enum's labels,
    and the object (as guards.Asked) a catalog row of those names is. Nothing for any other condition, or when the
    query tests anything but names by equality (an OR, another column, a comparison of another kind)."""
    words = [_word(t) for t in condition[:3]]
    if words[:2] != ["NOT", "EXISTS"] or len(condition) < 4 or condition[2].value != "(" \
            or condition[-1].value != ")" or _closing(condition, 2) != len(condition) - 1:
        return (), []
    inner = condition[3:-1]
    if any(_word(t) in {"OR", "NOT", "IN", "LIKE", "ILIKE"} for t in inner):
        return (), []
    names: dict[str, str] = {}
    for j, token in enumerate(inner):
        if token.value != "=" or token.kind != "punct" or j == 0 or j + 1 >= len(inner):
            continue
        left, right = inner[j - 1], inner[j + 1]
        column, literal = (left, right) if right.kind == "str" else (right, left)
        if literal.kind != "str" or column.kind != "word":
            continue
        name = column.value.lower()
        if name not in _NAME_COLUMNS or names.get(name, literal.value) != literal.value:
            return (), []
        names[name] = literal.value
    relations = {t.value.lower() for t in inner if t.kind == "word"}
    if "enumlabel" in names:
        return ((names["enumlabel"],), []) if "pg_enum" in relations else ((), [])
    return (), _asked(names, relations)


def _asked(names: dict[str, str], relations: set[str]) -> list[Asked]:
    """The object a catalog query for ``names`` looks up, in guards.Asked's shapes."""
    table = names.get("table_name") or names.get("tablename")
    if "information_schema" in relations and "columns" in relations and table and "column_name" in names:
        return [("column", table, names["column_name"])]
    if ("information_schema" in relations and "tables" in relations and table) or ("pg_tables" in relations and table):
        return [("table", table)]
    if "pg_indexes" in relations and "indexname" in names:
        return [("index", frozenset({names["indexname"], *([table] if table else [])}))]
    if "pg_constraint" in relations and "conname" in names:
        owner = names.get("relname")
        return [("constraint", frozenset({names["conname"], *([owner] if owner else [])}))]
    if "table_constraints" in relations and "constraint_name" in names:
        return [("constraint", frozenset({names["constraint_name"], *([table] if table else [])}))]
    if "pg_class" in relations and "relname" in names and len(names.keys() - {"nspname", "schemaname"}) == 1:
        return [("index", frozenset({names["relname"]})), ("table", names["relname"])]
    return []


def _closing(tokens: list[_Token], open_at: int) -> int | None:
    """The index of the parenthesis closing the one at ``open_at``."""
    depth = 0
    for j in range(open_at, len(tokens)):
        depth += 1 if tokens[j].value == "(" else -1 if tokens[j].value == ")" else 0
        if depth == 0:
            return j
    return None


def _concatenated(parts: list[_Token]) -> str | None:
    """``'a' || 'b'``: the literal text; None for anything else (a variable, format(), USING)."""
    if not parts or len(parts) % 3 != 1:
        return None
    texts = []
    for j, token in enumerate(parts):
        if j % 3 == 0:
            if token.kind != "str":
                return None
            texts.append(token.value)
        elif token.value != "|":
            return None
    return "".join(texts)


def _word(token: _Token) -> str:
    return token.value.upper() if token.kind == "word" else ""


def _tokens(sql: str, start: int, end: int) -> list[_Token] | None:
    """The tokens of ``sql[start:end]`` in one pass, comments left out; None for a quote left open, a string with
    escapes (``E'...'``) or too many tokens."""
    out: list[_Token] = []
    i = start
    while i < end:
        if len(out) > MAX_TOKENS:
            return None
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i, end)
            i = end if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = block_comment_end(sql, i, end)
            if close is None:
                return None
            i = close
        elif ch in "'\"":
            close = _quote_end(sql, i, end)
            if close is None:
                return None
            value = sql[i + 1:close - 1].replace(ch * 2, ch)
            out.append(_Token("str" if ch == "'" else "ident", i, close, value))
            i = close
        elif ch == "$" and (m := _DOLLAR_TAG.match(sql, i, end)):
            close = sql.find(m.group(), m.end(), end)
            if close < 0:
                return None
            out.append(_Token("str", i, close + len(m.group()), sql[m.end():close]))
            i = close + len(m.group())
        elif ch.isalnum() or ch == "_":
            j = i + 1
            while j < end and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            if j < end and sql[j] == "'":
                return None  # E'...', U&'...', B'...': escapes and other spellings this reader does not take
            out.append(_Token("word", i, j, sql[i:j]))
            i = j
        else:
            out.append(_Token("punct", i, i + 1, ch))
            i += 1
    return out


def _quote_end(sql: str, i: int, end: int) -> int | None:
    """The index after the quote closing the one at ``i`` (a doubled quote inside is one character)."""
    quote = sql[i]
    j = i + 1
    while True:
        close = sql.find(quote, j, end)
        if close < 0:
            return None
        if close + 1 < end and sql[close + 1] == quote:
            j = close + 2
            continue
        return close + 1


