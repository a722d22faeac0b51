"""needs: between deployments (with parallel: true): every name declared, none itself, and
no cycle."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Optional

from ..suggest import did_you_mean
from .walker import Walker


@dataclasses.dataclass
class Needs:
    index: int  # of the deployment in deployments:
    line: Optional[int]
    items: list[tuple[str, Optional[int]]]  # each need and its line (None: written alone)


class NeedsGraph:
    """The needs of each deployment, gathered while the deployments are read (even those with
    mistakes, so that every mistake is reported) and checked once all names are known."""

    def __init__(self, walker: Walker) -> None:
        self.walker = walker
        self.needs: dict[str, Needs] = {}

    def add(self, name: str, needs: Needs) -> None:
        self.needs.setdefault(name, needs)  # a repeated name is reported as such

    def check(self, declared: list[str], parallel: bool) -> None:
        report = self.walker.report
        needs = self.needs
        for name, entry in needs.items():
            key = f"deployments[{entry.index}].needs"
            if entry.items and not parallel:
                report(
                    "needs only applies with parallel: true "
                    "(with parallel: false deployments run in listed order)",
                    entry.line,
                    key,
                )
                continue
            for position, (need, line) in enumerate(entry.items):
                item_key = f"{key}[{position}]" if line is not None else key
                where = line if line is not None else entry.line
                if need == name:
                    report(f"{name!r} cannot need itself", where, item_key)
                elif need not in declared:
                    candidates = [n for n in declared if n != name]
                    report(
                        f"needs unknown deployment {need!r}{did_you_mean(need, candidates)}",
                        where,
                        item_key,
                    )
        cycle = find_cycle(declared, {n: [x for x, _ in e.items] for n, e in needs.items()})
        if cycle is not None:
            first = needs[cycle[0]]
            report(
                f"needs form a cycle: {' -> '.join(cycle)}",
                first.line,
                f"deployments[{first.index}].needs",
            )


def find_cycle(order: Sequence[str], edges: Mapping[str, Sequence[str]]) -> Optional[list[str]]:
    """A cycle as [a, b, ..., a], starting at its earliest listed member; iterative DFS."""
    rank = {name: i for i, name in enumerate(order)}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in order:
        if state.get(start):
            continue
        path: list[str] = [start]
        iterators = [iter(edges.get(start, ()))]
        state[start] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                pivot = min(range(len(loop)), key=lambda i: rank[loop[i]])
                loop = loop[pivot:] + loop[:pivot]
                return [*loop, loop[0]]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(edges.get(nxt, ())))
    return None
