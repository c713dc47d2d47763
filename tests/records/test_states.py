"""The state table and State objects, without any cluster."""

from __future__ import annotations

import pickle

import pytest

from orchestrator.records.states import (
    TERMINAL_TYPES,
    TRANSITIONS,
    IllegalTransition,
    State,
    StateType,
    check_transition,
)


def test_terminal_states_have_no_way_out() -> None:
    """Every terminal state allows no transition at all."""
    for state in TERMINAL_TYPES:
        assert TRANSITIONS[state] == frozenset()


def test_every_state_has_a_row() -> None:
    """The transitions table covers every state type exactly once."""
    assert set(TRANSITIONS) == set(StateType)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (StateType.PENDING, StateType.RUNNING),
        (StateType.RUNNING, StateType.RETRYING),
        (StateType.RETRYING, StateType.RUNNING),
        (StateType.RUNNING, StateType.TIMED_OUT),
        (StateType.PENDING, StateType.SKIPPED),
    ],
)
def test_legal_transitions_pass(old: StateType, new: StateType) -> None:
    """Moves listed in the table are accepted."""
    assert check_transition(old, new) is new


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (StateType.COMPLETED, StateType.RUNNING),
        (StateType.FAILED, StateType.RETRYING),
        (StateType.PENDING, StateType.RETRYING),
        (StateType.SKIPPED, StateType.COMPLETED),
    ],
)
def test_illegal_transitions_raise_naming_both_states(old: StateType, new: StateType) -> None:
    """Moves not in the table raise IllegalTransition naming the old and new state."""
    with pytest.raises(IllegalTransition, match=f"from {old.value} to {new.value}"):
        check_transition(old, new)


def test_state_round_trips_through_pickle() -> None:
    """A State keeps its type, value, timing and key across pickling."""
    state = State(StateType.COMPLETED, [1, 2], start=1.0, end=2.0, attempt=3, worker="w", key="k")
    copy = pickle.loads(pickle.dumps(state))
    assert (copy.type, copy.data, copy.start, copy.end, copy.attempt, copy.worker, copy.key) == (
        StateType.COMPLETED,
        [1, 2],
        1.0,
        2.0,
        3,
        "w",
        "k",
    )


def test_result_of_failed_state_raises_its_exception() -> None:
    """State.result() re-raises the task's exception for a Failed state."""
    with pytest.raises(ValueError, match="bad"):
        State(StateType.FAILED, ValueError("bad")).result()
