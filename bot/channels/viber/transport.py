"""The outbox transport for Viber (CHANNEL_CONTRACT.md): one claimed row → Viber messages.

Errors come from the client already as the contract's: status 5/6 → Unreachable, 12 →
RetryLater (the whole account), any other status → Rejected, 5xx and the network →
TransientError. A row without buttons carries the keyboard the person was last shown, which
the database keeps for every process (bot/channels/viber/keyboards.py). A row's photo or
document is a `media:` key of the store, a public URL, or a file another channel holds (a
Telegram file id, a poll chart), copied into the store once; `link` buttons become Viber deep
links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.channels.viber.aliases import CHANNEL
from bot.channels.viber.errors import Rejected
from bot.channels.viber.outgoing import Outgoing
from services.outbox import Claimed


class ViberTransport:
    channel = CHANNEL

    def __init__(self, outgoing: Outgoing, *, rate_per_second: float,
                 per_chat_interval: float = 0.0, owns_client: bool = True,
                 closers: Sequence[Callable[[], Awaitable[None]]] = ()) -> None:
        self.outgoing = outgoing
        # The live channel's transport shares its client: the channel closes it.
        self._owns_client = owns_client
        self._closers = list(closers)
        self.rate_per_second = rate_per_second
        # Viber limits what one person gets unanswered per hour, not the spacing.
        self.per_chat_interval = per_chat_interval

    async def send(self, row: Claimed) -> None:
        keyboards = self.outgoing.keyboards
        if not row.buttons:  # it carries the keyboard last shown, maybe by another process
            await keyboards.refresh(row.chat_id)
        attachment = None
        ref = row.photo or row.document
        if ref:
            attachment = await self.outgoing.fetch_attachment(ref)
            if attachment is None and not row.text:
                raise Rejected(f"outbox row {row.id}: a file Viber cannot fetch")
        await self.outgoing.send(row.chat_id, row.text, rows=row.buttons or None,
                                 attachment=attachment)
        await keyboards.flush()  # the row's buttons are what the person is shown now

    async def close(self) -> None:
        await self.outgoing.keyboards.flush()
        for close in self._closers:
            await close()
        if self._owns_client:
            await self.outgoing.client.close()
