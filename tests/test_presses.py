"""Notification buttons that act when pressed: services name the action, the feature that
answers it packs it when the row is sent (bot/outbox/presses.py)."""

from __future__ import annotations

import pytest

from bot.features import FEATURES, presses
from bot.outbox.presses import Presses
from handlers.kit.feature import Feature, Press


def _pack(thing_id: int, answer: str) -> str:
    return f"x:{thing_id}:{answer}"


PRESSES = Presses({"things.answer": Press("things.answer", _pack)})


def _press(**args: object) -> dict[str, object]:
    return {"text": "Go", "press": {"action": "things.answer", **args}}


def test_a_press_becomes_the_callback_its_feature_packs():
    rows = [[_press(thing_id=7, answer="yes"), {"text": "Site", "url": "https://x.example"}]]
    assert PRESSES.pack(rows) == [[{"text": "Go", "callback": "x:7:yes"},
                                   {"text": "Site", "url": "https://x.example"}]]


def test_rows_without_presses_are_left_as_they_are():
    rows = [[{"text": "Open", "link": "petition_1"}]]
    assert PRESSES.pack(rows) is rows
    assert PRESSES.pack(None) is None


def test_a_press_nobody_handles_or_with_wrong_arguments_loses_only_its_button(caplog):
    unknown = {"text": "Old", "press": {"action": "gone.feature", "id": 1}}
    rows = [[unknown], [_press(thing_id=1), {"text": "Site", "url": "https://x.example"}]]
    assert PRESSES.pack(rows) == [[{"text": "Site", "url": "https://x.example"}]]
    assert PRESSES.pack([[unknown]]) is None
    assert "gone.feature" in caplog.text


def test_every_declared_press_is_unique_across_features():
    assert presses()  # the appeals follow-up at least
    twice = Feature("other", list, presses=(Press("appeals.followup", _pack),))
    with pytest.raises(ValueError, match=r"appeals\.followup"):
        presses((*FEATURES, twice))
    with pytest.raises(ValueError, match="twice"):
        Feature("x", list, presses=(Press("a", _pack), Press("a", _pack)))
