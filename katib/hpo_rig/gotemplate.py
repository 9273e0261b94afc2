"""The subset of Go's text/template that Katib v1alpha2/v1alpha3 trial templates use.

Supported: ``{{.Field}}`` and ``{{.A.B}}`` lookups (``$`` for the root), ``with``, ``range``
and ``if`` blocks with an optional ``else``, ``end``, comments, and the ``{{-`` / ``-}}`` trim
markers. Anything else is rejected rather than silently rendered wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_ACTION = re.compile(r"\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}", re.DOTALL)
_PATH = re.compile(r"^(\$|\$?(\.[A-Za-z_][A-Za-z0-9_]*)+|\.)$")


class GoTemplateError(ValueError):
    """The template uses syntax outside the supported subset or a field that is not there."""


@dataclass
class _Field:
    path: str


@dataclass
class _Block:
    kind: str
    path: str
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)


_Node = str | _Field | _Block


def render_go_template(template: str, data: Mapping[str, Any]) -> str:
    """Render ``template`` with ``data`` as the root (``.``) value."""
    nodes = _parse(template)
    out: list[str] = []
    _execute(nodes, data, data, out)
    return "".join(out)


def _tokens(template: str) -> list[tuple[str, str]]:
    """Split into ("text", s) and ("action", s) tokens, applying the trim markers."""
    tokens: list[tuple[str, str]] = []
    position = 0
    trim_next = False
    for match in _ACTION.finditer(template):
        text = template[position : match.start()]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if match.group(1):
            text = text.rstrip(" \t\r\n")
        tokens.append(("text", text))
        tokens.append(("action", match.group(2)))
        trim_next = bool(match.group(3))
        position = match.end()
    tail = template[position:]
    tokens.append(("text", tail.lstrip(" \t\r\n") if trim_next else tail))
    return tokens


def _parse(template: str) -> list[_Node]:
    root: list[_Node] = []
    stack: list[_Block] = []

    def current() -> list[_Node]:
        if not stack:
            return root
        block = stack[-1]
        return block.otherwise if block.kind.endswith(":else") else block.body

    for kind, value in _tokens(template):
        if kind == "text":
            if value:
                current().append(value)
            continue
        if value.startswith("/*") and value.endswith("*/"):
            continue
        words = value.split()
        if not words:
            raise GoTemplateError("empty action {{}}")
        if words[0] in ("with", "range", "if"):
            if len(words) != 2 or not _PATH.match(words[1]):
                raise GoTemplateError(f"unsupported action {{{{{value}}}}}")
            block = _Block(words[0], words[1])
            current().append(block)
            stack.append(block)
        elif words == ["else"]:
            if not stack or stack[-1].kind.endswith(":else"):
                raise GoTemplateError("{{else}} outside a block")
            stack[-1].kind += ":else"
        elif words == ["end"]:
            if not stack:
                raise GoTemplateError("{{end}} without a block")
            block = stack.pop()
            block.kind = block.kind.removesuffix(":else")
        elif len(words) == 1 and _PATH.match(words[0]):
            current().append(_Field(words[0]))
        else:
            raise GoTemplateError(f"unsupported action {{{{{value}}}}}")
    if stack:
        raise GoTemplateError(f"unclosed {{{{{stack[-1].kind.removesuffix(':else')}}}}} block")
    return root


def _lookup(path: str, dot: Any, root: Any) -> Any:
    if path == ".":
        return dot
    value = root if path.startswith("$") else dot
    for name in path.lstrip("$").split(".")[1:]:
        if not isinstance(value, Mapping) or name not in value:
            raise GoTemplateError(f"field {path} not found")
        value = value[name]
    return value


def _truthy(value: Any) -> bool:
    # Go's notion of "empty": false, 0, nil and empty strings/collections.
    return bool(value)


def _execute(nodes: Sequence[_Node], dot: Any, root: Any, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Field):
            out.append(str(_lookup(node.path, dot, root)))
        else:
            value = _lookup(node.path, dot, root)
            if not _truthy(value):
                _execute(node.otherwise, dot, root, out)
            elif node.kind == "range":
                items = value.values() if isinstance(value, Mapping) else value
                for item in items:
                    _execute(node.body, item, root, out)
            else:
                _execute(node.body, value if node.kind == "with" else dot, root, out)
