"""The tag slot table: all-or-nothing grants, first come first served per tag, and dropping holders."""

from __future__ import annotations

from executors.slots import SlotRequest, SlotTable


def ask(table: SlotTable, holder: str, **limits: int) -> bool:
    return table.request(SlotRequest(holder, limits, {"worker": holder[0]}))


def test_grants_up_to_the_limit_then_queues() -> None:
    """With a limit of 2 the first two requests hold a slot and the third waits until one is released."""
    table = SlotTable()
    assert ask(table, "a1", db=2) and ask(table, "a2", db=2)
    assert not ask(table, "a3", db=2) and table.status("a3") == "waiting"
    removed, granted = table.release("a1")
    assert removed == ["a1"] and [r.holder for r in granted] == ["a3"] and table.status("a3") == "granted"


def test_a_request_takes_all_its_tags_or_none() -> None:
    """A task tagged db and api waits while either tag is full, and holds neither meanwhile."""
    table = SlotTable()
    assert ask(table, "a1", api=1)
    assert not ask(table, "b1", db=2, api=1)
    assert "db" not in table.snapshot() or table.snapshot()["db"]["holders"] == []
    assert ask(table, "c1", web=1)  # other tags are untouched by the wait
    table.release("a1")
    assert table.status("b1") == "granted"
    assert [h["worker"] for h in table.snapshot()["db"]["holders"]] == ["b"]


def test_waiters_are_served_in_arrival_order_per_tag() -> None:
    """A newcomer never overtakes an earlier waiter for the same tag, even when a slot is free for it alone."""
    table = SlotTable()
    assert ask(table, "a1", db=1)
    assert not ask(table, "a2", db=1, api=1)
    assert not ask(table, "a3", db=1)
    table.release("a1")
    assert (table.status("a2"), table.status("a3")) == ("granted", "waiting")


def test_asking_again_keeps_a_waiters_place() -> None:
    """A waiting holder that asks again (a re-poll) stays where it was in the queue."""
    table = SlotTable()
    ask(table, "a1", db=1)
    ask(table, "a2", db=1)
    ask(table, "a3", db=1)
    assert not ask(table, "a3", db=1)
    table.release("a1")
    assert (table.status("a2"), table.status("a3")) == ("granted", "waiting")


def test_dropping_a_worker_frees_its_slots_and_its_waiters_at_once() -> None:
    """drop() removes every holder and waiter it matches (a removed worker) and grants what that frees."""
    table = SlotTable()
    ask(table, "w1", db=1)
    ask(table, "w2", db=1)
    ask(table, "x1", db=1)
    removed, granted = table.drop(lambda r: r.info["worker"] == "w")
    assert sorted(removed) == ["w1", "w2"] and [r.holder for r in granted] == ["x1"]
    assert table.snapshot()["db"]["holders"] == [{"worker": "x"}]


def test_clear_forgets_everything() -> None:
    """After a cluster restart nothing is held or waiting."""
    table = SlotTable()
    ask(table, "a1", db=1)
    ask(table, "a2", db=1)
    table.clear()
    assert table.snapshot() == {} and table.status("a1") == table.status("a2") == "gone"
