"""The outbox transport of the terminal chat (CHANNEL_CONTRACT.md): a claimed row is printed.

It runs only inside `python -m bot chat` and only for channel "terminal", so a chat beside a
live Telegram bot on the same database claims none of Telegram's rows. A row for another
terminal account (a second `--as` chat on the same database) is handed back untried, to wait
for its own chat.
"""

from __future__ import annotations

from bot.channels.base import RetryLater
from bot.channels.terminal.console import Console, Kind
from bot.channels.terminal.files import Files
from bot.channels.terminal.keys import Links, from_specs
from services.models import Channel
from services.outbox import Claimed

# How long a row for another terminal account waits before any chat looks at it again.
OTHER_CHAT_WAIT_SECONDS = 30.0


class TerminalTransport:
    channel = Channel.TERMINAL.value

    def __init__(self, console: Console, chat_id: str, files: Files, links: Links, *,
                 rate_per_second: float = 50.0) -> None:
        self.console = console
        self.chat_id = chat_id
        self.files = files
        self.links = links
        self.rate_per_second = rate_per_second
        self.per_chat_interval = 0.0
        self.delivered = 0

    async def send(self, row: Claimed) -> None:
        if row.chat_id != self.chat_id:
            raise RetryLater(OTHER_CHAT_WAIT_SECONDS, whole_account=False)
        attachment = None
        ref = row.photo or row.document
        if ref:
            where = self.files.path_of(ref) or ref
            attachment = self.console.tr("terminal.photo" if row.photo else "terminal.file",
                                         where=str(where))
        self.console.show(row.text, rows=from_specs(row.buttons, self.links),
                          kind=Kind.NOTIFICATION, attachment=attachment)
        self.delivered += 1

    async def close(self) -> None:
        return None
