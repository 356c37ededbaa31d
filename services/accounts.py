"""The messenger account an update came from, as handlers need it to store or find a person."""

from __future__ import annotations

from dataclasses import dataclass

from services.models import Channel


@dataclass(frozen=True, slots=True)
class Account:
    """Which messenger, the account's id there and its private chat with the bot.

    Telegram's are the user id as text; a Viber account's are its Viber user id (the int the
    handlers see as `from_user.id` is only an alias of it).
    """

    channel: str
    external_id: str
    chat_id: str

    @classmethod
    def telegram(cls, user_id: int) -> Account:
        return cls(Channel.TELEGRAM.value, str(user_id), str(user_id))

    @property
    def actor(self) -> str:
        """How the audit log names this account (`telegram:42`, `viber:<id>`)."""
        return f"{self.channel}:{self.external_id}"
