"""The subset of ServiceNow encoded queries (``sysparm_query``) the simulated Table API understands.

An encoded query is a list of terms joined by ``^`` (AND); a term starting with ``OR`` is OR-ed with
the term before it (``a=1^ORa=2^b=3`` is ``(a=1 OR a=2) AND b=3``), and ``^NQ`` starts a new query
whose rows are added to the first one's. A term is ``<field><operator><value>`` with the operators
``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``IN`` and ``NOT IN`` (comma lists), ``LIKE``,
``NOT LIKE``, ``STARTSWITH``, ``ENDSWITH``, ``ISEMPTY`` and ``ISNOTEMPTY``; ``ORDERBY<field>`` and
``ORDERBYDESC<field>`` set the order.

What ServiceNow does, and so does this parser, is **ignore silently** every term it cannot use: a
field the table does not have (a typo, or a dot-walked ``project.number``, which the simulator
does not follow), an unknown operator, an ``ORDERBY`` on an unknown field. The rest of the query
still runs, so a misspelt filter returns more rows, not an error (docs/sources.md "A misspelt
filter is ignored").

Values are the strings the records store. The range operators compare as numbers when the value is
a number and as text otherwise — except on the fields the caller names as text (``sys_id``: a
GUID of hex digits may look like a number, and ``sys_id>…`` is how keyset paging continues); text
order is also time order for ``glide_date_time`` values (``yyyy-MM-dd HH:mm:ss`` UTC), which is how
``sys_updated_on>=2024-01-05 10:15:30`` works.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

_TERM = re.compile(
    r"^([a-z0-9_.]+?)"
    r"(ISNOTEMPTY|ISEMPTY|NOT IN|NOTIN|NOT LIKE|NOTLIKE|STARTSWITH|ENDSWITH|LIKE|IN|!=|>=|<=|=|>|<)"
    r"(.*)$",
    re.DOTALL,
)
_OPERATOR_NAMES = {"NOTIN": "NOT IN", "NOTLIKE": "NOT LIKE"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Condition:
    """One ``<field><operator><value>`` term."""

    field: str
    operator: str
    value: str


@dataclass(frozen=True)
class EncodedQuery:
    """A parsed query: rows matching any of ``queries`` (``^NQ``), each an AND of OR-groups."""

    queries: tuple[tuple[tuple[Condition, ...], ...], ...]
    order_by: tuple[tuple[str, bool], ...]  # (field, descending)
    ignored: tuple[str, ...]  # the terms dropped, for diagnostics


def parse(text: str, fields: Collection[str]) -> EncodedQuery:
    """Parse ``text`` for a table with these ``fields``; unusable terms are dropped, not refused."""
    queries: list[tuple[tuple[Condition, ...], ...]] = []
    order_by: list[tuple[str, bool]] = []
    ignored: list[str] = []
    for part in text.split("^NQ") if text else []:
        groups: list[list[Condition]] = []
        for term in part.split("^"):
            if not term or term == "EQ":
                continue
            if term.startswith("ORDERBYDESC") or term.startswith("ORDERBY"):
                descending = term.startswith("ORDERBYDESC")
                field = term[len("ORDERBYDESC") :] if descending else term[len("ORDERBY") :]
                if field in fields:
                    order_by.append((field, descending))
                else:
                    ignored.append(term)
                continue
            joins_previous = term.startswith("OR") and bool(groups)
            condition = _condition(term[2:] if term.startswith("OR") else term, fields)
            if condition is None:
                ignored.append(term)
            elif joins_previous:
                groups[-1].append(condition)
            else:
                groups.append([condition])
        if groups:
            queries.append(tuple(tuple(group) for group in groups))
    return EncodedQuery(queries=tuple(queries), order_by=tuple(order_by), ignored=tuple(ignored))


def _condition(term: str, fields: Collection[str]) -> Condition | None:
    match = _TERM.match(term)
    if match is None or match.group(1) not in fields:
        return None
    operator = _OPERATOR_NAMES.get(match.group(2), match.group(2))
    return Condition(field=match.group(1), operator=operator, value=match.group(3))


def to_sql(
    query: EncodedQuery, column: Callable[[str], str], text_fields: Collection[str] = ()
) -> tuple[str, list[object]]:
    """A SQL condition for ``query``; ``column(field)`` is the SQL expression holding a field, and
    ``text_fields`` compare as text whatever their values look like."""
    if not query.queries:
        return "1 = 1", []
    alternatives: list[str] = []
    params: list[object] = []
    for groups in query.queries:
        conjuncts: list[str] = []
        for group in groups:
            disjuncts: list[str] = []
            for condition in group:
                sql, condition_params = _condition_sql(
                    condition, column(condition.field), as_text=condition.field in text_fields
                )
                disjuncts.append(sql)
                params += condition_params
            conjuncts.append("(" + " OR ".join(disjuncts) + ")")
        alternatives.append("(" + " AND ".join(conjuncts) + ")")
    return "(" + " OR ".join(alternatives) + ")", params


def _condition_sql(condition: Condition, expr: str, *, as_text: bool) -> tuple[str, list[object]]:
    operator, value = condition.operator, condition.value
    if operator in ("=", "!="):
        return f"{expr} {operator} ?", [value]
    if operator in (">", ">=", "<", "<="):
        if not as_text and _NUMBER.match(value):
            return f"CAST({expr} AS REAL) {operator} ?", [float(value)]
        return f"{expr} {operator} ?", [value]
    if operator in ("IN", "NOT IN"):
        values = value.split(",")
        marks = ", ".join("?" * len(values))
        return f"{expr} {operator} ({marks})", list(values)
    if operator in ("LIKE", "NOT LIKE"):
        negation = "= 0" if operator == "NOT LIKE" else "> 0"
        return f"instr(lower({expr}), lower(?)) {negation}", [value]
    if operator == "STARTSWITH":
        return f"substr(lower({expr}), 1, length(?)) = lower(?)", [value, value]
    if operator == "ENDSWITH":
        return f"substr(lower({expr}), -length(?)) = lower(?)", [value, value]
    if operator == "ISEMPTY":
        return f"coalesce({expr}, '') = ''", []
    return f"coalesce({expr}, '') != ''", []  # ISNOTEMPTY
