"""Moderators' side of appeals: queue, card, assign, statuses, extend, return, answer, merge."""

from __future__ import annotations

from aiogram import Router

router = Router(name="appeals_admin")
