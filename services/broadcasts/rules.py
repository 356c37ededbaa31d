"""The broadcasts feature's settings section, built once at start-up and injected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BroadcastRules:
    text_max: int = 3500
    chunk: int = 5000  # recipients queued per transaction
    chunks_per_run: int = 2  # per run of the start task: a tick is never blocked for long
    # The council's districts (DISTRICTS): when set, a typed district must be one of them.
    districts: tuple[str, ...] = ()
