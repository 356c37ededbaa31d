"""The vote screens alone (pure functions, no bot): whatever the published data, a screen
fits Telegram (text, buttons, packed actions) and pages long lists."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from handlers.kit.clip import MESSAGE_MAX, visible_length
from handlers.kit.screen import MAX_ACTION_BYTES, Screen
from handlers.votes import screens, screens_deputies
from handlers.votes.callbacks import NAV
from services.i18n import get_translator
from services.votes.models import DecisionResult, VoteValue
from services.votes.queries import DecisionCard, FactionVotes, VoteGroup
from services.votes.stats import DeputyCard, DeputyVoteLine
from services.votes.tallies import ORDER
from services.votes.views import DeputyRef, Share, VoteCounts

TR = get_translator().for_language("uk")
VIBER_BUTTONS = 24  # what one Viber keyboard holds
LONG = "Дуже довга назва, яку рада надрукувала без скорочень " * 20


@dataclass(frozen=True)
class Packed:
    """A stand-in action: the screens need only `.pack()`."""

    value: str

    def pack(self) -> str:
        return self.value


class PackedNav:
    """A stand-in VotesNav: every target packs to its own name and arguments."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: Packed(f"{name}:{':'.join(map(str, args))}"[:64])


def _fits(screen: Screen) -> None:
    assert visible_length(screen.text) <= MESSAGE_MAX
    assert len(screen.buttons) <= VIBER_BUTTONS
    assert all(len(b.action.pack().encode()) <= MAX_ACTION_BYTES
               for b in screen.buttons if b.action is not None)


def _card(deputies: int, factions: int) -> DecisionCard:
    refs = [DeputyRef(i, f"{LONG[:200]} {i}", f"Прізвище{i} А. Б.", f"Фракція {i % factions} "
                      + LONG[:250], i) for i in range(1, deputies + 1)]
    groups = tuple(VoteGroup(v, tuple(refs) if v == VoteValue.FOR else (), 0) for v in ORDER)
    return DecisionCard(
        id=10**12, title=LONG, item_title=LONG + "!", item_number="12", project_number="757/2",
        session_id=10**12, session_label=LONG[:300], held_on=date(2024, 9, 4),
        started_at=datetime(2024, 9, 4, 10, tzinfo=UTC),
        result=DecisionResult.ADOPTED, result_raw="Прийнято",
        counts=VoteCounts(deputies, 0, 0, 0, 0), counts_published=True, roll_size=deputies,
        factions=tuple(FactionVotes(i, "Фракція " + LONG[:280], False,
                                    VoteCounts(3, 1, 0, 0, 0)) for i in range(factions)),
        groups=groups, source_url="https://rada.example.ua/757-2.html", source_file="x.json",
        text_file=None, published=True, needs_review=False, confirmed=False)


def test_a_decision_card_of_long_published_texts_fits_one_message():
    card = _card(121, 40)
    screen = screens.decision(TR, NAV, card)
    _fits(screen)
    # Forty factions of long names do not fit: the text is cut, its markup closed again.
    assert screen.text.endswith("…") and screen.text.count("<b>") == screen.text.count("</b>")


def test_a_roll_call_of_121_pages_by_fifteen_and_every_page_fits():
    card = _card(121, 9)
    seen: list[str] = []
    for page in range(9):
        screen = screens.roll_call(TR, NAV, card, VoteValue.FOR, page)
        _fits(screen)
        deputies = [b.text for b in screen.buttons if b.action and b.action.pack()
                    .startswith("vp:")]
        assert len(deputies) == (15 if page < 8 else 1)
        seen += deputies
    assert len(set(seen)) == 121
    # A page past the end shows the last one.
    last = screens.roll_call(TR, NAV, card, VoteValue.FOR, 10**6)
    assert [b.text for b in last.buttons if b.action and b.action.pack().startswith("vp:")] \
        == seen[-1:]


def test_a_deputy_card_states_both_rules_and_fits():
    ref = DeputyRef(7, LONG[:300], "Коваль А. Б.", LONG[:300], 5)
    latest = tuple(DeputyVoteLine(i, LONG, date(2024, 9, 4), VoteValue.AGAINST,
                                  DecisionResult.NOT_ADOPTED) for i in range(5))
    card = DeputyCard(deputy=ref, given_name=None, patronymic=None, unaffiliated=False,
                      faction_post=LONG[:200], party_name=LONG[:300], photo_url=None,
                      email="a@b.ua", telephone="+380441234567", homepage="javascript:x",
                      opening_hours=LONG[:300], attendance=Share(3, 4),
                      against_faction=Share(0, 0), latest=latest, followers=2)
    screen = screens_deputies.deputy_card(TR, PackedNav(), card, following=True)
    _fits(screen)
    assert "75% (3 з 4)" in screen.text and "ще немає даних" in screen.text
    assert not any(b.url for b in screen.buttons)  # a homepage that is no http(s) link


def test_the_home_screen_offers_staff_and_notifications_only_to_whom_they_concern():
    view = screens.HomeView(sessions=0, latest=None, subscribed=None, followed=0,
                            has_my_district=False, is_staff=False)
    texts = [b.text for b in screens.home(TR, NAV, view).buttons]
    assert not any("Імпорт" in t or "Повідомляти" in t or "Мої депутати" in t for t in texts)
    view = screens.HomeView(sessions=1, latest=None, subscribed=True, followed=2,
                            has_my_district=True, is_staff=True)
    texts = [b.text for b in screens.home(TR, NAV, view).buttons]
    assert {"🛠 Імпорт і публікація", "🔕 Не повідомляти про нові результати",
            "⭐ Мої депутати (2)", "🏠 Депутати мого округу"} <= set(texts)


class Packed_nav:
    def __getattr__(self, name: str):
        return lambda *args, **kwargs: Packed(f"{name}:{':'.join(map(str, args))}"[:64])


def test_the_longest_lists_fit_a_viber_keyboard_on_every_page():
    """Five vote tabs, a full page and the pager; 60 districts; 40 followed deputies."""
    refs = tuple(DeputyRef(i, f"Депутат {i}", f"Депутат{i} А. Б.", "Фракція", i)
                 for i in range(1, 61))
    card = _card(1, 1)
    groups = tuple(VoteGroup(v, refs[k * 12:(k + 1) * 12 + 20], 1) for k, v in enumerate(ORDER))
    card = replace(card, groups=groups)
    for value in ORDER:
        for page in range(3):
            screen = screens.roll_call(TR, NAV, card, value, page)
            _fits(screen)
            assert any(b.text.startswith("⬅️") for b in screen.buttons)  # "back" is kept
    districts = [(n, 2) for n in range(1, 61)]
    followed = refs[:40]
    shown: list[str] = []
    for page in range(4):
        _fits(screens_deputies.districts(TR, NAV, districts, page))
        screen = screens_deputies.followed(TR, NAV, followed, page)
        _fits(screen)
        shown += [b.text for b in screen.buttons if b.action and b.action.pack()
                  .startswith("vp:")]
    assert len(set(shown)) == 40  # every followed deputy on some page
