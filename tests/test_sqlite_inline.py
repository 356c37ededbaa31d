"""Signing and answering on the loop's thread (services/sqlite_inline.py): the same outcome
as through the session, and the session's path whenever the inline one cannot take the write
lock or the tap is not a plain new signature or first answer."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import delete, func, select

from services import petitions
from services.db import has_writes
from services.errors import Conflict
from services.models import Channel, Petition, PetitionStatus, Signature
from services.polls import answers, manage
from services.polls.models import Poll, PollAnswer, PollChoice
from services.sqlite_inline import inline_writer
from tests import polls_support
from tests.conftest import BACKEND
from tests.polls_support import DISTRICTS
from tests.test_petitions_service import make_moderator, make_resident, outbox_keys, published

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the inline writer is SQLite's")

RULES = petitions.PetitionRules(threshold=3, period_days=30)


def _path(session) -> str:
    return str(session.get_bind().engine.url.database)


async def test_a_new_signature_is_committed_inline_and_the_rest_through_the_session(
        sessionmaker):
    async with sessionmaker() as session:
        await make_moderator(session, 900)
        author = await make_resident(session, 1)
        signers = [await make_resident(session, n) for n in range(2, 5)]
        petition = await published(session, author, RULES)
        assert inline_writer(session) is None  # it has written: that commits with the rest
        await session.commit()
    async with sessionmaker() as session:
        writer = inline_writer(session)
        assert writer is not None
        taken = writer.begin()
        assert taken is not None
        taken.close()  # nothing written
        first = await petitions.sign_and_commit(session, RULES, petition.id, signers[0],
                                                channel=Channel.VIBER)
        assert (first.signed, first.count, first.card.signed, first.card.can_withdraw) == (
            True, 1, True, True)
        assert first.card.petition.signature_count == 1
        assert not session.in_transaction() or not session.sync_session.info.get("wrote")
        again = await petitions.sign_and_commit(session, RULES, petition.id, signers[0],
                                                channel=Channel.VIBER)
        assert (again.signed, again.count) == (False, 1)
        await petitions.sign_and_commit(session, RULES, petition.id, signers[1],
                                        channel=Channel.TELEGRAM)
        crossing = await petitions.sign_and_commit(session, RULES, petition.id, signers[2],
                                                   channel=Channel.TELEGRAM)
        assert crossing.threshold_reached and crossing.count == 3
    async with sessionmaker() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None and row.signature_count == 3
        assert row.status == PetitionStatus.AWAITING_ANSWER
        stored = list(await session.execute(
            select(Signature.resident_id, Signature.channel).order_by(Signature.id)))
        assert stored == [(signers[0].id, Channel.VIBER.value),
                          (signers[1].id, Channel.TELEGRAM.value),
                          (signers[2].id, Channel.TELEGRAM.value)]
        keys = await outbox_keys(session, f"petition:{petition.id}:threshold")
        assert len(keys) == 5  # author, three signers, moderator: written with the crossing


async def test_with_the_write_lock_taken_the_session_signs_instead(sessionmaker):
    """The inline attempt is made at once, before the task's first wait, while another
    connection holds the lock: the session's statements then wait for it and sign."""
    async with sessionmaker() as session:
        author = await make_resident(session, 1)
        signer = await make_resident(session, 2)
        petition = await published(session, author, RULES)
        await session.commit()
    async with sessionmaker() as session:
        writer = inline_writer(session)
        assert writer is not None
        other = sqlite3.connect(_path(session), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert writer.begin() is None  # at once, not after a wait
            signing = asyncio.create_task(petitions.sign_and_commit(
                session, RULES, petition.id, signer, channel=Channel.TELEGRAM))
            await asyncio.sleep(0)  # the task runs up to its first wait: the session's
            assert not signing.done()
        finally:
            other.execute("ROLLBACK")
            other.close()
        signed = await signing
        assert signed.signed and signed.count == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Signature)) == 1
        row = await session.get(Petition, petition.id)
        assert row is not None and row.signature_count == 1


async def test_signing_at_once_writes_a_plain_new_signature_and_leaves_the_rest(sessionmaker):
    """`sign_at_once`, tried before the write turn: None and nothing written for a repeat,
    the threshold's crossing, or the write lock held elsewhere; those go through the turn."""
    async with sessionmaker() as session:
        author = await make_resident(session, 1)
        signers = [await make_resident(session, n) for n in range(2, 5)]
        petition = await published(session, author, RULES)
        await session.commit()
    async with sessionmaker() as session:
        first = petitions.sign_at_once(session, petition.id, signers[0], channel=Channel.VIBER)
        assert first is not None and (first.signed, first.count) == (True, 1)
        assert first.card.signed and not has_writes(session)
        assert petitions.sign_at_once(session, petition.id, signers[0],
                                      channel=Channel.VIBER) is None  # a repeat
        other = sqlite3.connect(_path(session), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert petitions.sign_at_once(session, petition.id, signers[1],
                                          channel=Channel.TELEGRAM) is None
        finally:
            other.execute("ROLLBACK")
            other.close()
        second = petitions.sign_at_once(session, petition.id, signers[1],
                                        channel=Channel.TELEGRAM)
        assert second is not None and second.count == 2
        assert petitions.sign_at_once(session, petition.id, signers[2],
                                      channel=Channel.TELEGRAM) is None  # the third crosses
    async with sessionmaker() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None and row.signature_count == 2
        assert row.status == PetitionStatus.COLLECTING
        stored = list(await session.scalars(
            select(Signature.resident_id).order_by(Signature.id)))
        assert stored == [signers[0].id, signers[1].id]


async def test_a_first_poll_answer_is_committed_inline_and_a_change_through_the_session(
        sessionmaker):
    async with sessionmaker() as session:
        await polls_support.make_moderator(session)
        poll = await polls_support.published(session)
        voter = await polls_support.make_resident(session, 1)
        await session.commit()
        yes, no, _ = await polls_support.option_ids(session, poll.id)
    async with sessionmaker() as session:
        view = await answers.poll_view(session, DISTRICTS, poll.id, voter)
        first = await answers.answer_and_commit(
            session, DISTRICTS, poll.id, voter, [yes], channel=Channel.VIBER,
            seen_version=poll.version, view=view)
        assert (first.first, first.changed, first.choices) == (True, True, {yes})
        assert not has_writes(session)  # written on the loop's thread, committed there
        view = await answers.poll_view(session, DISTRICTS, poll.id, voter)
        assert view.my_choices == {yes} and view.answer_id is not None
        changed = await answers.answer_and_commit(
            session, DISTRICTS, poll.id, voter, [no], channel=Channel.VIBER,
            seen_version=poll.version, view=view)
        assert (changed.first, changed.changed) == (False, True)
        stale = await answers.poll_view(session, DISTRICTS, poll.id, voter)
        with pytest.raises(Conflict):  # the poll as seen before an edit: nothing written
            await answers.answer_and_commit(
                session, DISTRICTS, poll.id, voter, [yes], channel=Channel.VIBER,
                seen_version=poll.version + 1, view=stale)
    async with sessionmaker() as session:
        row = await session.get(Poll, poll.id)
        assert row is not None and row.answer_count == 1
        stored = list(await session.execute(select(PollAnswer.resident_id, PollAnswer.channel)))
        assert stored == [(voter.id, Channel.VIBER.value)]
        assert list(await session.scalars(select(PollChoice.option_id))) == [no]


async def test_a_first_answer_to_a_poll_read_before_is_written_with_no_read(sessionmaker):
    """`answer_known`: the card from what this process read of the poll at that version and
    the counter's RETURNING; anything it cannot be sure of is left (None) to the session."""
    async with sessionmaker() as session:
        await polls_support.make_moderator(session)
        poll = await polls_support.published(session)
        local = await polls_support.published(session, districts=["Північний"])
        voters = [await polls_support.make_resident(session, n) for n in range(1, 4)]
        central = await polls_support.make_resident(session, 4, district="Центральний")
        north = [await polls_support.make_resident(session, n, district="Північний")
                 for n in (5, 6)]
        unverified = await polls_support.make_resident(session, 7, verified=False)
        await session.commit()
        yes, no, _ = await polls_support.option_ids(session, poll.id)

    def known(session, poll_id, resident, positions, version=poll.version):
        return answers.answer_known(session, poll_id, resident, positions,
                                    channel=Channel.VIBER, seen_version=version)

    async with sessionmaker() as session:
        assert known(session, poll.id, voters[0], [0]) is None  # not read by this process
        await answers.poll_view(session, DISTRICTS, poll.id, None)
        first = known(session, poll.id, voters[0], [0])
        assert first is not None and not has_writes(session)
        assert (first.my_choices, [o.text for o in first.options]) == ({yes},
                                                                       ["Так", "Ні", "Не знаю"])
        assert first.poll.answer_count == 1 and first.answer_id is not None
        assert known(session, poll.id, voters[0], [1]) is None  # a change: the session's
        for positions in ([], [0, 1], [3]):  # none, too many, not on the card
            assert known(session, poll.id, voters[1], positions) is None
        assert known(session, poll.id, voters[1], [1], poll.version + 1) is None  # edited
        assert known(session, poll.id, unverified, [0]) is None
        other = sqlite3.connect(_path(session), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert known(session, poll.id, voters[1], [1]) is None  # the lock is taken
        finally:
            other.rollback()
            other.close()
        assert known(session, poll.id, voters[1], [1]) is not None

        await answers.poll_view(session, DISTRICTS, local.id, None)
        assert known(session, local.id, central, [0], local.version) is None
        assert known(session, local.id, north[0], [0], local.version) is not None
    async with sessionmaker() as session:
        await manage.close_early(session, polls_support.MODERATOR, local.id)
        await session.commit()
    async with sessionmaker() as session:  # (one that has written is never inline)
        assert known(session, local.id, north[1], [0], local.version) is None  # closed

    async with sessionmaker() as session:
        # SQLite gives a deleted last poll's id to the next one: the same id and version,
        # another poll, and what was read of the first must not serve the second.
        assert local.id == poll.id + 1
        await session.execute(delete(Poll).where(Poll.id == local.id))
        await session.commit()
        again = await polls_support.published(session, options=("А", "Б"))
        assert (again.id, again.version) == (local.id, local.version)
    async with sessionmaker() as session:
        assert inline_writer(session) is not None
        assert known(session, again.id, north[1], [0], again.version) is None

    async with sessionmaker() as session:
        counts = dict((await session.execute(select(Poll.id, Poll.answer_count))).tuples().all())
        assert counts == {poll.id: 2, again.id: 0}
        stored = (await session.execute(
            select(PollAnswer.resident_id, PollChoice.option_id)
            .join(PollChoice, PollChoice.answer_id == PollAnswer.id)
            .order_by(PollAnswer.resident_id))).all()
        assert [tuple(r) for r in stored] == [(voters[0].id, yes), (voters[1].id, no)]
