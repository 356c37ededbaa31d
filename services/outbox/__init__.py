"""Enqueueing into the persistent outbox, and the claim/record steps every sender uses.

A notification is written in the same transaction as the change that causes it, so a crash
either keeps both or neither. Senders claim rows with a lease; a row whose lease ran out (its
sender died) is claimed again. A sender only sends a row while it still holds the lease, and
records results within a fraction of a second, so the only rows that can go out twice are those
already handed to the messenger but not yet recorded when the process died (at-least-once for
that small window, exactly-once for everything else).
"""

from __future__ import annotations

from services.outbox.claims import (
    Claimed,
    cancel_broadcast_rows,
    claim_batch,
    mark_chat_blocked,
    mark_final,
    mark_sent,
    next_due,
    release,
    status_counts,
)
from services.outbox.enqueue import (
    Recipient,
    Render,
    notify,
    notify_residents,
    press_button,
    reachable_recipients,
    recipients_for,
    staff_recipients,
)
from services.outbox.retention import (
    configure_retention,
    erase_resident,
    purge_finished,
    purge_job,
)
from services.outbox.senders import (
    SenderPeers,
    join_senders,
    leave_senders,
    pause_senders,
    sender_peers,
    set_sender_peers,
)

__all__ = [
    "Claimed",
    "Recipient",
    "Render",
    "SenderPeers",
    "cancel_broadcast_rows",
    "claim_batch",
    "configure_retention",
    "erase_resident",
    "join_senders",
    "leave_senders",
    "mark_chat_blocked",
    "mark_final",
    "mark_sent",
    "next_due",
    "notify",
    "notify_residents",
    "pause_senders",
    "press_button",
    "purge_finished",
    "purge_job",
    "reachable_recipients",
    "recipients_for",
    "release",
    "sender_peers",
    "set_sender_peers",
    "staff_recipients",
    "status_counts",
]
