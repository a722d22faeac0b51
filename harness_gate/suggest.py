"""Did-you-mean suggestions for names a user typed: spec keys, deployment names, --only."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# SequenceMatcher is quadratic in the worst case; a word this long is no typo of a short name.
_MAX_WORD = 200


def close_matches(word: str, candidates: Iterable[str], limit: int = 1) -> list[str]:
    """The candidates closest to word, best first; a difference of case only ranks first."""
    pool = list(dict.fromkeys(candidates))
    if not pool or len(word) > _MAX_WORD:
        return []
    folded = word.casefold()
    same_but_case = [c for c in pool if c != word and c.casefold() == folded]
    # Compare case-folded so "Workflow" finds "workflow" as easily as "workflw" does.
    by_folded: dict[str, str] = {}
    for candidate in pool:
        if len(candidate) <= _MAX_WORD:
            by_folded.setdefault(candidate.casefold(), candidate)
    found = difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=0.6)
    matches = same_but_case + [by_folded[f] for f in found if by_folded[f] not in same_but_case]
    return [m for m in matches if m != word][:limit]


def did_you_mean(word: str, candidates: Iterable[str], limit: int = 1) -> str:
    """' (did you mean 'x'?)' to append to a message, or '' when nothing is close."""
    matches = close_matches(word, candidates, limit)
    if not matches:
        return ""
    return f" (did you mean {' or '.join(repr(m) for m in matches)}?)"
