"""The subset of JQL the simulated Jira understands: a tokenizer, a parser and a SQL compiler.

Grammar (keywords case-insensitive)::

    query    := [or_expr] [ORDER BY sort ("," sort)*]
    or_expr  := and_expr (OR and_expr)*
    and_expr := not_expr (AND not_expr)*
    not_expr := NOT not_expr | "(" or_expr ")" | clause
    clause   := field op value | field [NOT] IN "(" value ("," value)* ")"
    sort     := field [ASC | DESC]

Fields: ``project``; ``key`` with its aliases ``issuekey``, ``issue`` and ``id`` (as in Jira, each
takes an issue key or a numeric issue id); ``updated`` / ``updatedDate``; ``created`` /
``createdDate``. Date values are epoch milliseconds (unquoted digits: an absolute instant),
``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd"``, ``"yyyy/MM/dd"`` or a period such
as ``-1d`` or ``"-2w 3d"``. Like Jira Cloud, a date without a zone is read in the *API user's time
zone* and has minute precision; epoch milliseconds are compared exactly. Anything else is refused
with a message in Jira's words, so a connector learns about an unsupported query at once instead
of getting silently wrong rows. ``ORDER BY`` accepts updated, created, key, id and project, ASC
(the default) or DESC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

KEYWORDS = {"and", "or", "not", "in", "order", "by", "asc", "desc", "is", "empty", "null", "was", "changed"}
OPERATORS = ("!=", ">=", "<=", "!~", "=", ">", "<", "~")
COMPARISONS = ("=", "!=", ">", ">=", "<", "<=")
FIELD_ALIASES = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "issue": "key",
    "id": "key",
    "updated": "updated",
    "updateddate": "updated",
    "created": "created",
    "createddate": "created",
}
SORT_COLUMNS = {
    "updated": ("updated_ms",),
    "updateddate": ("updated_ms",),
    "created": ("created_ms",),
    "createddate": ("created_ms",),
    "key": ("project_key", "key_num"),
    "issuekey": ("project_key", "key_num"),
    "id": ("id",),
    "project": ("project_key",),
}
DATE_FORMATS_HELP = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
    "or a period format e.g. '-5d', '4w 2d'."
)
_WORD_END = set(" \t\r\n()=,!<>~\"'")
_DATE = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_PERIOD_PART = re.compile(r"(\d+)([wdhm])")
_PERIOD = re.compile(r"^([-+]?)\s*(\d+[wdhm](?:\s+\d+[wdhm])*)$")
_ISSUE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
_PERIOD_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


class JqlError(ValueError):
    """A query the simulated Jira refuses; ``str()`` is the message Jira puts in ``errorMessages``."""


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | op | lparen | rparen | comma | eof
    text: str
    position: int  # 1-based character offset, as Jira reports it

    def shown(self) -> str:
        return "end of query" if self.kind == "eof" else f"'{self.text}'"


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool


@dataclass(frozen=True)
class Clause:
    field: str  # as written
    operator: str  # =, !=, >, >=, <, <=, in, not in
    values: tuple[Value, ...]


@dataclass(frozen=True)
class BoolOp:
    operator: str  # and | or
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Clause | BoolOp | Not


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    """A parsed query: the restriction (None when there is none) and the requested order."""

    where: Node | None
    order_by: tuple[SortKey, ...]


def _syntax_error(text: str, position: int) -> JqlError:
    return JqlError(f"Error in the JQL Query: {text} (line 1, character {position})")


def tokenize(text: str) -> list[Token]:
    """Split a JQL string into tokens; quoted strings keep their content without the quotes."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "(":
            tokens.append(Token("lparen", char, i + 1))
            i += 1
        elif char == ")":
            tokens.append(Token("rparen", char, i + 1))
            i += 1
        elif char == ",":
            tokens.append(Token("comma", char, i + 1))
            i += 1
        elif char in "\"'":
            start = i
            i += 1
            chars: list[str] = []
            while i < len(text) and text[i] != char:
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= len(text):
                raise _syntax_error(f"The quoted string '{text[start + 1 :]}' has not been completed.", start + 1)
            tokens.append(Token("string", "".join(chars), start + 1))
            i += 1
        elif char in "=!<>~":
            operator = next((op for op in OPERATORS if text.startswith(op, i)), None)
            if operator is None:
                raise _syntax_error(f"The character '{char}' is a reserved JQL character.", i + 1)
            tokens.append(Token("op", operator, i + 1))
            i += len(operator)
        else:
            start = i
            while i < len(text) and text[i] not in _WORD_END:
                i += 1
            tokens.append(Token("word", text[start:i], start + 1))
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.current
        return token.kind == "word" and token.text.lower() in words

    def parse(self) -> Query:
        where: Node | None = None
        if not self.at_keyword("order") and self.current.kind != "eof":
            where = self.or_expr()
        order_by: tuple[SortKey, ...] = ()
        if self.at_keyword("order"):
            order_by = self.order_by()
        if self.current.kind != "eof":
            raise _syntax_error(
                f"Expecting either 'OR' or 'AND' but got {self.current.shown()}.", self.current.position
            )
        return Query(where=where, order_by=order_by)

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def not_expr(self) -> Node:
        if self.at_keyword("not"):
            self.advance()
            return Not(self.not_expr())
        if self.current.kind == "lparen":
            self.advance()
            node = self.or_expr()
            if self.current.kind != "rparen":
                raise _syntax_error(f"Expecting ')' but got {self.current.shown()}.", self.current.position)
            self.advance()
            return node
        return self.clause()

    def clause(self) -> Clause:
        token = self.current
        if token.kind not in ("word", "string") or (token.kind == "word" and token.text.lower() in KEYWORDS):
            raise _syntax_error(f"Expecting a field name but got {token.shown()}.", token.position)
        self.advance()
        field = token.text
        operator_token = self.current
        if operator_token.kind == "op":
            self.advance()
            operator = operator_token.text
            if operator not in COMPARISONS:
                raise _syntax_error(
                    f"The operator '{operator}' is not supported by the simulator's JQL subset "
                    "(use =, !=, <, >, <=, >=, in or not in).",
                    operator_token.position,
                )
            return Clause(field, operator, (self.value(),))
        if self.at_keyword("in"):
            self.advance()
            return Clause(field, "in", self.value_list())
        if (
            self.at_keyword("not")
            and self.tokens[self.index + 1].kind == "word"
            and (self.tokens[self.index + 1].text.lower() == "in")
        ):
            self.index += 2
            return Clause(field, "not in", self.value_list())
        raise _syntax_error(
            f"Expecting operator but got {operator_token.shown()}. Valid operators for the "
            "simulator's JQL subset are '=', '!=', '<', '>', '<=', '>=', 'in' and 'not in'.",
            operator_token.position,
        )

    def value(self) -> Value:
        token = self.current
        if token.kind == "string":
            self.advance()
            return Value(token.text, quoted=True)
        if token.kind == "word" and token.text.lower() not in KEYWORDS:
            self.advance()
            return Value(token.text, quoted=False)
        raise _syntax_error(f"Expecting either a value, list or function but got {token.shown()}.", token.position)

    def value_list(self) -> tuple[Value, ...]:
        if self.current.kind != "lparen":
            raise _syntax_error(f"Expecting '(' but got {self.current.shown()}.", self.current.position)
        self.advance()
        values = [self.value()]
        while self.current.kind == "comma":
            self.advance()
            values.append(self.value())
        if self.current.kind != "rparen":
            raise _syntax_error(f"Expecting ')' but got {self.current.shown()}.", self.current.position)
        self.advance()
        return tuple(values)

    def order_by(self) -> tuple[SortKey, ...]:
        self.advance()  # ORDER
        if not self.at_keyword("by"):
            raise _syntax_error(f"Expecting 'by' but got {self.current.shown()}.", self.current.position)
        self.advance()
        keys = [self.sort_key()]
        while self.current.kind == "comma":
            self.advance()
            keys.append(self.sort_key())
        return tuple(keys)

    def sort_key(self) -> SortKey:
        token = self.current
        if token.kind not in ("word", "string") or (token.kind == "word" and token.text.lower() in KEYWORDS):
            raise _syntax_error(f"Expecting a field name but got {token.shown()}.", token.position)
        self.advance()
        descending = False
        if self.at_keyword("asc", "desc"):
            descending = self.advance().text.lower() == "desc"
        return SortKey(token.text, descending)


def parse(text: str) -> Query:
    """Parse a JQL string (raises :class:`JqlError` with Jira's message when it cannot)."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class JqlContext:
    """What compiling needs besides the query: the user's zone, the world clock, the projects."""

    timezone: ZoneInfo
    now: datetime
    resolve_project: Callable[[str], str | None]  # key, id or name -> project key


def compile_where(node: Node, context: JqlContext) -> tuple[str, list[object]]:
    """SQL over ``jira_issue`` (columns id, key, project_key, key_num, created_ms, updated_ms)."""
    if isinstance(node, BoolOp):
        compiled = [compile_where(part, context) for part in node.parts]
        joiner = " AND " if node.operator == "and" else " OR "
        return "(" + joiner.join(sql for sql, _ in compiled) + ")", [p for _, ps in compiled for p in ps]
    if isinstance(node, Not):
        sql, params = compile_where(node.part, context)
        return f"(NOT {sql})", params
    return _compile_clause(node, context)


def _compile_clause(clause: Clause, context: JqlContext) -> tuple[str, list[object]]:
    canonical = FIELD_ALIASES.get(clause.field.lower())
    if canonical is None:
        raise JqlError(
            f"Field '{clause.field}' is not supported by the simulator's JQL subset "
            "(supported: project, key, issuekey, id, updated, created)."
        )
    if canonical == "project":
        return _project_clause(clause, context)
    if canonical == "key":
        return _key_clause(clause)
    return _date_clause(clause, canonical, context)


def _negated(clause: Clause, sql: str) -> str:
    return f"(NOT {sql})" if clause.operator in ("!=", "not in") else sql


def _project_clause(clause: Clause, context: JqlContext) -> tuple[str, list[object]]:
    if clause.operator not in ("=", "!=", "in", "not in"):
        raise JqlError(f"The operator '{clause.operator}' is not supported by the '{clause.field}' field.")
    keys: list[object] = []
    for value in clause.values:
        key = context.resolve_project(value.text)
        if key is None:
            raise JqlError(f"The value '{value.text}' does not exist for the field '{clause.field}'.")
        keys.append(key)
    marks = ", ".join("?" * len(keys))
    return _negated(clause, f"project_key IN ({marks})"), keys


def _key_clause(clause: Clause) -> tuple[str, list[object]]:
    if clause.operator in ("=", "!=", "in", "not in"):
        ids: list[object] = []
        keys: list[object] = []
        for value in clause.values:
            if value.text.isdigit():
                ids.append(int(value.text))
            elif _ISSUE_KEY.match(value.text):
                keys.append(value.text.upper())
            else:
                raise JqlError(f"The issue key '{value.text}' for field '{clause.field}' is invalid.")
        parts = []
        if ids:
            parts.append(f"id IN ({', '.join('?' * len(ids))})")
        if keys:
            parts.append(f"key IN ({', '.join('?' * len(keys))})")
        return _negated(clause, "(" + " OR ".join(parts) + ")"), ids + keys
    value = clause.values[0]
    if value.text.isdigit():
        return f"id {clause.operator} ?", [int(value.text)]
    match = _ISSUE_KEY.match(value.text)
    if match is None:
        raise JqlError(f"The issue key '{value.text}' for field '{clause.field}' is invalid.")
    return (
        f"(project_key = ? AND key_num {clause.operator} ?)",
        [match.group(1).upper(), int(match.group(2))],
    )


def _date_clause(clause: Clause, canonical: str, context: JqlContext) -> tuple[str, list[object]]:
    if clause.operator not in COMPARISONS:
        raise JqlError(f"The operator '{clause.operator}' is not supported by the '{clause.field}' field.")
    column = "updated_ms" if canonical == "updated" else "created_ms"
    instant = instant_ms(clause.values[0], clause.field, context)
    return f"{column} {clause.operator} ?", [instant]


def instant_ms(value: Value, field: str, context: JqlContext) -> int:
    """A JQL date value as epoch milliseconds, read the way Jira Cloud reads it."""
    text = value.text.strip()
    if not value.quoted and text.isdigit():
        return int(text)  # epoch milliseconds: an absolute instant, no zone involved
    match = _DATE.match(text)
    if match is not None:
        year, _, month, day, hour, minute = match.groups()
        try:
            local = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=context.timezone)
        except ValueError as exc:
            raise JqlError(f"Date value '{value.text}' for field '{field}' is invalid. {DATE_FORMATS_HELP}") from exc
        return int(local.timestamp() * 1000)
    period = _PERIOD.match(text)
    if period is not None:
        sign = -1 if period.group(1) == "-" else 1
        offset = sum(
            (int(amount) * _PERIOD_UNITS[unit] for amount, unit in _PERIOD_PART.findall(period.group(2))),
            timedelta(),
        )
        # Jira resolves periods to the minute, relative to now.
        moment = (context.now + sign * offset).replace(second=0, microsecond=0)
        return int(moment.timestamp() * 1000)
    raise JqlError(f"Date value '{value.text}' for field '{field}' is invalid. {DATE_FORMATS_HELP}")


def sort_columns(order_by: tuple[SortKey, ...]) -> list[tuple[str, bool]]:
    """The ``jira_issue`` columns to sort by, with ``id`` last as the tie-breaker paging needs."""
    columns: list[tuple[str, bool]] = []
    for key in order_by:
        names = SORT_COLUMNS.get(key.field.lower())
        if names is None:
            raise JqlError(
                f"Field '{key.field}' cannot be sorted by in the simulator's JQL subset "
                "(supported: updated, created, key, id, project)."
            )
        for name in names:
            if name not in (column for column, _ in columns):
                columns.append((name, key.descending))
    if "id" not in (column for column, _ in columns):
        columns.append(("id", False))
    return columns
