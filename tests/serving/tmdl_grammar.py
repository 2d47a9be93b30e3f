"""A parser for the subset of TMDL the Power BI generator writes, strict about everything else.

Power BI Desktop does not run here, so the generated model is checked against this grammar:

    file        := (blank | comment | description* declaration)*
    declaration := INDENT kind [name] ["=" expression] NEWLINE (property | flag | annotation | declaration)*
    property    := INDENT key ":" value
    annotation  := INDENT "annotation" name "=" value
    expression  := text on the same line, or the lines below indented two levels deeper
    name        := identifier | "'" ("''" | any but "'")* "'"
    INDENT      := tabs only; one tab per level of nesting

Which objects may nest where, and which properties and flags each takes, are the tables below
(from the TMDL reference: database, model, table, column, measure, partition, expression,
relationship, queryGroup, `ref table`). Anything else is an error, with its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

NAME = r"(?:[A-Za-z_][A-Za-z0-9_]*|'(?:[^']|'')+')"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

CHILDREN: dict[str, set[str]] = {
    "<root>": {"database", "model", "table", "relationship", "expression", "queryGroup", "ref"},
    "table": {"column", "measure", "partition"},
    "database": set(),
    "model": set(),
    "column": set(),
    "measure": set(),
    "partition": set(),
    "expression": set(),
    "relationship": set(),
    "queryGroup": set(),
    "ref": set(),
}
PROPERTIES: dict[str, set[str]] = {
    "database": {"compatibilityLevel"},
    "model": {"culture", "defaultPowerBIDataSourceVersion", "sourceQueryCulture"},
    "table": {"lineageTag", "dataCategory"},
    "column": {"dataType", "formatString", "lineageTag", "summarizeBy", "sourceColumn", "displayFolder"},
    "measure": {"formatString", "displayFolder", "lineageTag"},
    "partition": {"mode", "source", "queryGroup"},
    "expression": {"lineageTag", "queryGroup"},
    "relationship": {"fromColumn", "toColumn", "isActive", "crossFilteringBehavior"},
    "queryGroup": set(),
    "ref": set(),
}
FLAGS: dict[str, set[str]] = {"column": {"isHidden", "isKey"}, "model": {"discourageImplicitMeasures"}}
ENUMS = {
    "dataType": {"string", "int64", "double", "decimal", "dateTime", "boolean"},
    "summarizeBy": {"none", "sum", "min", "max", "count", "average", "distinctCount"},
    "mode": {"import", "directQuery"},
    "crossFilteringBehavior": {"oneDirection", "bothDirections", "automatic"},
    "isActive": {"true", "false"},
    "dataCategory": {"Time"},
}
# Kinds whose declaration names an object, and how.
NAMED = {
    "table": NAME,
    "column": NAME,
    "measure": NAME,
    "partition": NAME,
    "expression": NAME,
    "queryGroup": NAME,
    "model": NAME,
    "relationship": GUID,
}
EXPRESSION_KINDS = {"measure", "partition", "expression"}  # "= …" after the name
EXPRESSION_PROPERTIES = {"source"}  # "source = …" inside a partition


class TmdlError(ValueError):
    pass


@dataclass
class Node:
    kind: str
    name: str | None
    line: int
    expression: str | None = None
    description: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    annotations: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def all(self, kind: str) -> list[Node]:
        return [c for c in self.children if c.kind == kind]


def unquote(name: str) -> str:
    return name[1:-1].replace("''", "'") if name.startswith("'") else name


def parse_column_ref(text: str) -> tuple[str, str]:
    """`Table.Column` (either part may be quoted) → (table, column)."""
    match = re.fullmatch(rf"({NAME})\.({NAME})", text)
    if not match:
        raise TmdlError(f"not a Table.Column reference: {text!r}")
    return unquote(match.group(1)), unquote(match.group(2))


def parse(text: str, source: str = "<tmdl>") -> list[Node]:
    lines = text.split("\n")
    root = Node("<root>", None, 0)
    stack: list[tuple[int, Node]] = [(-1, root)]
    description: list[str] = []
    i = 0

    def fail(message: str) -> TmdlError:
        return TmdlError(f"{source}:{i + 1}: {message}")

    def block(depth: int) -> tuple[str, int]:
        """The lines below `i` indented at least `depth` tabs (blank lines inside kept)."""
        body, j = [], i + 1
        while j < len(lines):
            raw = lines[j]
            if raw.strip() and not raw.startswith("\t" * depth):
                break
            body.append(raw[depth:] if raw.strip() else "")
            j += 1
        while body and not body[-1]:
            body.pop()
            j -= 1
        if not body:
            raise fail("an expression after '=' needs lines indented two levels deeper")
        return "\n".join(body), j

    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            if description:
                raise fail("a /// description must be followed directly by a declaration")
            i += 1
            continue
        indent = len(raw) - len(raw.lstrip("\t"))
        content = raw[indent:]
        if content != content.lstrip(" ") or content != content.rstrip():
            raise fail("indentation is tabs only, and lines carry no trailing spaces")
        if content.startswith("///"):
            description.append(content[3:].strip())
            i += 1
            continue
        if content.startswith("//"):
            i += 1
            continue
        while stack[-1][0] >= indent:
            stack.pop()
        parent_depth, parent = stack[-1]
        if indent != parent_depth + 1:
            raise fail(f"indented {indent} tabs under a {parent.kind} at {parent_depth}")
        word = content.split(" ", 1)[0].rstrip(":")

        if word in CHILDREN.get(parent.kind, set()):
            node, i = _declaration(content, word, i, indent, fail, block)
            node.description = " ".join(description) or None
            description = []
            parent.children.append(node)
            stack.append((indent, node))
            continue
        if description:
            raise fail("a /// description must be followed by a declaration")
        if word == "annotation":
            match = re.fullmatch(rf"annotation ({NAME}) = (.+)", content)
            if not match:
                raise fail(f"bad annotation: {content!r}")
            parent.annotations[unquote(match.group(1))] = match.group(2)
        elif (
            word in EXPRESSION_PROPERTIES and content.rstrip().endswith("=") and word in PROPERTIES.get(parent.kind, ())
        ):
            parent.properties[word], i = block(indent + 2)
            continue
        elif ":" in content and word in PROPERTIES.get(parent.kind, set()):
            key, value = content.split(":", 1)
            value = value.strip()
            if not value:
                raise fail(f"property {key} has no value")
            if key in ENUMS and value not in ENUMS[key]:
                raise fail(f"{key}: {value!r} is not one of {sorted(ENUMS[key])}")
            if key == "compatibilityLevel" and not value.isdigit():
                raise fail("compatibilityLevel is a number")
            parent.properties[key] = value
        elif content in FLAGS.get(parent.kind, set()):
            parent.flags.add(content)
        else:
            raise fail(f"{content!r} is not a property, flag or child of a {parent.kind}")
        i += 1
    if description:
        raise TmdlError(f"{source}: a /// description at the end of the file")
    return root.children


def _declaration(content: str, kind: str, i: int, indent: int, fail, block) -> tuple[Node, int]:
    if kind == "ref":
        match = re.fullmatch(rf"ref table ({NAME})", content)
        if not match:
            raise fail(f"bad ref: {content!r}")
        return Node("ref", unquote(match.group(1)), i + 1), i + 1
    if kind == "database":
        if content != "database":
            raise fail("database takes no name here")
        return Node("database", None, i + 1), i + 1
    pattern = NAMED[kind]
    if kind in EXPRESSION_KINDS:
        match = re.fullmatch(rf"{kind} ({pattern}) =(?: (.+))?", content)
        if not match:
            raise fail(f"a {kind} is `{kind} <name> = <expression>`: {content!r}")
        node = Node(kind, unquote(match.group(1)), i + 1)
        if match.group(2):
            node.expression = match.group(2)
            return node, i + 1
        node.expression, end = block(indent + 2)
        return node, end
    match = re.fullmatch(rf"{kind} ({pattern})", content)
    if not match:
        raise fail(f"a {kind} is `{kind} <name>`: {content!r}")
    return Node(kind, unquote(match.group(1)), i + 1), i + 1


def parse_folder(definition: Path) -> dict[str, list[Node]]:
    """Every .tmdl file under a semantic model's definition/ folder, parsed; by relative path."""
    return {
        str(p.relative_to(definition)): parse(p.read_text(encoding="utf-8"), str(p))
        for p in sorted(definition.rglob("*.tmdl"))
    }
