"""Mappings of name to value sent with an execution: variables (either platform) and the
parameters of a FirstGen artifact source."""

from __future__ import annotations

from functools import partial
from typing import Callable, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode

from ..model import FIRSTGEN, Location, VariableInput
from ..suggest import did_you_mean
from . import fields as F
from .nodes import describe, join_key, line_of
from .values import ValueReader
from .walker import Reported, Walker

VARIABLE_TYPES = ("NAME", "ID")

_T = TypeVar("_T")
# read(name, its key node, its value node, the mapping's key)
_ReadNamed = Callable[[str, ScalarNode, Node, str], _T]


class VariableReader:
    def __init__(self, walker: Walker, values: ValueReader) -> None:
        self.walker = walker
        self.values = values

    def variables(self, node: Node, key: str) -> list[VariableInput]:
        return self.by_name(node, key, "a mapping of variable name to value", self.variable)

    def parameters(self, node: Node, key: str) -> list[tuple[str, str]]:
        return self.by_name(node, key, "a mapping of parameter name to value", self.parameter)

    def by_name(self, node: Node, key: str, what: str, read: _ReadNamed[_T]) -> list[_T]:
        """Each entry read by read(); the mapping is left out if one has a mistake."""
        walker = self.walker
        result: list[_T] = []
        with walker.all_or_nothing():
            for name, (name_node, value_node) in walker.entries(node, key, None, what).items():
                value = walker.attempt(partial(read, name, name_node, value_node, key))
                if value is not None:
                    result.append(value)
        return result

    def parameter(
        self, name: str, name_node: ScalarNode, value_node: Node, parent_key: str
    ) -> tuple[str, str]:
        key = join_key(parent_key, name)
        self.values.input_name(name, name_node, key, "parameter")
        return name, self.walker.raw_text(value_node, key, "text")

    def variable(
        self, name: str, name_node: ScalarNode, value_node: Node, parent_key: str
    ) -> VariableInput:
        """`name: text`, or `name: {value: ..., type: ...}` (type on FirstGen only)."""
        walker = self.walker
        key = join_key(parent_key, name)
        self.values.input_name(name, name_node, key, "variable")
        location = Location(walker.path, line_of(name_node))
        if isinstance(value_node, ScalarNode):
            return VariableInput(name, walker.interpolated(value_node, key), "NAME", location)
        if not isinstance(value_node, MappingNode):
            shape = "{value: ..., type: ...}" if walker.platform == FIRSTGEN else "{value: ...}"
            walker.fail(
                f"a variable value is text or a mapping {shape}, got {describe(value_node)}",
                value_node,
                key,
            )
        with walker.all_or_nothing():
            entries = walker.entries(value_node, key, F.VARIABLE, "a mapping")
            if "value" not in entries:
                walker.fail("missing required key 'value'", value_node, key)
            given = entries["value"][1]
            value = walker.attempt(lambda: walker.raw_text(given, f"{key}.value", "text"))
            value_type = "NAME"
            type_node = walker.optional(entries, "type")
            if type_node is not None:
                type_key = f"{key}.type"
                value_type = walker.attempt(lambda: self.variable_type(type_node, type_key)) or ""
        if value is None:
            raise Reported
        return VariableInput(name, value, value_type, location)

    def variable_type(self, node: Node, key: str) -> str:
        written = self.walker.raw_text(node, key, "NAME or ID").strip()
        value_type = written.upper()
        if value_type == "EXPRESSION":
            self.walker.fail(
                "variable type EXPRESSION cannot be sent: Harness refuses it when starting an "
                'execution ("Expression Type not supported"); give the value as a NAME or an '
                "ID",
                node,
                key,
            )
        if value_type not in VARIABLE_TYPES:
            self.walker.fail(
                f"unknown variable type {written!r}{did_you_mean(value_type, VARIABLE_TYPES)}"
                "; expected NAME or ID",
                node,
                key,
            )
        return value_type
