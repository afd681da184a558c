"""The small-count rule: primary suppression of 1 to 4, secondary so nothing can be worked out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.funder.suppression import HIDDEN, shown, suppress


def test_counts_of_five_or_more_and_zero_are_shown() -> None:
    result = suppress([5, 0, 12])
    assert result.cells == [False, False, False] and result.total is False


def test_a_single_small_count_hides_the_smallest_other_count_too() -> None:
    # 3 alone could be read as 20 - 6 - 11; hiding 6 as well protects it.
    result = suppress([3, 6, 11])
    assert result.cells == [True, True, False] and result.total is False


def test_two_small_counts_adding_up_to_less_than_five_take_a_third() -> None:
    # With only 1 and 2 hidden, their sum (the total minus the shown counts) would be 3,
    # itself a small count that leaves only 1+2 or 2+1: one more count is hidden.
    result = suppress([1, 2, 7, 9])
    assert result.cells == [True, True, True, False]


def test_two_small_counts_adding_up_to_five_are_enough() -> None:
    assert suppress([1, 4, 8]).cells == [True, True, False]


def test_zero_is_never_picked_as_the_second_count() -> None:
    assert suppress([4, 0, 9]).cells == [True, False, True]


def test_a_small_total_hides_itself_and_every_non_zero_count() -> None:
    result = suppress([1, 0, 2], total=3)
    assert result.cells == [True, False, True] and result.total is True


def test_shown_replaces_hidden_counts() -> None:
    assert shown(3, True) == HIDDEN and shown(3, False) == 3


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8))
def test_no_hidden_count_can_be_worked_out_from_the_total(counts: list[int]) -> None:
    result = suppress(counts)
    total = sum(counts)
    hidden = [c for c, hide in zip(counts, result.cells, strict=True) if hide]
    for count, hide in zip(counts, result.cells, strict=True):
        if 0 < count < 5:
            assert hide, "every count from 1 to 4 is hidden"
    if result.total:
        assert 0 < total < 5
    elif hidden:
        # at least two hidden counts whose known sum is not itself small
        assert len(hidden) >= 2 and sum(hidden) >= 5
