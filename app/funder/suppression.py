"""Small-count suppression for reports that leave the project.

The rule, for one group of counts that add up to a shown total (e.g. the entries of a
period by age band, "not recorded" included):

1. **Primary**: every count from 1 to 4 is hidden (shown as "<5"). Zero is shown.
2. **The total**: if the total itself is from 1 to 4, it is hidden, and so is every
   non-zero count of the group.
3. **Secondary**: a hidden count must not be recoverable as the total minus the shown
   counts. So while fewer than two counts are hidden, or the hidden counts add up to
   less than 5, the smallest shown non-zero count is hidden as well. The hidden counts
   of a group then always number at least two and add up to 5 or more, so none of
   them can be worked out, and their sum is not itself a small count.

The same total (e.g. the entries of the period) heads several groups; it is hidden in
all of them or in none, because rule 2 depends only on the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are hidden
HIDDEN = "<5"


@dataclass(frozen=True, slots=True)
class Suppressed:
    cells: list[bool]  # True: hide this count
    total: bool  # True: hide the total


def is_small(count: int) -> bool:
    return 0 < count < THRESHOLD


def suppress(counts: Sequence[int], total: int | None = None) -> Suppressed:
    """Which counts of one group (and its total) to hide. ``total`` defaults to the sum."""
    total = sum(counts) if total is None else total
    if is_small(total):
        return Suppressed(cells=[count > 0 for count in counts], total=True)
    hidden = [is_small(count) for count in counts]
    if not any(hidden):
        return Suppressed(cells=hidden, total=False)
    while True:
        hidden_counts = [count for count, hide in zip(counts, hidden, strict=True) if hide]
        if len(hidden_counts) >= 2 and sum(hidden_counts) >= THRESHOLD:
            break
        candidates = [(count, index) for index, count in enumerate(counts) if count > 0 and not hidden[index]]
        if not candidates:
            break  # cannot happen when the counts add up to the total; nothing more to hide
        hidden[min(candidates)[1]] = True
    return Suppressed(cells=hidden, total=False)


def shown(count: int, hide: bool) -> int | str:
    return HIDDEN if hide else count
