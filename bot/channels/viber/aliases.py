"""Viber user ids ↔ the int aliases handlers see as user and chat ids (cached, per process)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import aliases
from services.models import Channel

CHANNEL = Channel.VIBER.value


class AliasBook:
    """Both directions of the alias table, with a bounded cache (aliases never change)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], size: int = 50_000
                 ) -> None:
        self.sessionmaker = sessionmaker
        self._size = size
        self._by_id: OrderedDict[str, int] = OrderedDict()
        self._by_alias: dict[int, str] = {}

    def _remember(self, external_id: str, alias: int) -> None:
        self._by_id[external_id] = alias
        self._by_alias[alias] = external_id
        while len(self._by_id) > self._size:
            _old, old_alias = self._by_id.popitem(last=False)
            self._by_alias.pop(old_alias, None)

    async def alias(self, external_id: str, session: AsyncSession | None = None) -> int:
        found = self._by_id.get(external_id)
        if found is not None:
            return found
        if session is None:
            async with self.sessionmaker() as own:
                found = await aliases.alias_for(own, CHANNEL, external_id)
                await own.commit()
        else:
            found = await aliases.alias_for(session, CHANNEL, external_id)
        self._remember(external_id, found)
        return found

    async def preload(self, session: AsyncSession, external_ids: Iterable[str]) -> None:
        """Know the aliases of these accounts (made on first sight) with one query."""
        missing = [ext for ext in external_ids if ext not in self._by_id]
        for external_id, alias in (await aliases.aliases_for(session, CHANNEL, missing)).items():
            self._remember(external_id, alias)

    async def external(self, alias: int) -> str | None:
        """The Viber id behind an alias; None for an int that is not one of Viber's."""
        found = self._by_alias.get(alias)
        if found is not None:
            return found
        if not aliases.is_alias(alias):
            return None
        async with self.sessionmaker() as session:
            account = await aliases.account_of(session, alias)
        if account is None or account[0] != CHANNEL:
            return None
        self._remember(account[1], alias)
        return account[1]
