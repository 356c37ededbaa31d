"""Buttons on Viber: a keyboard press is the callback query the Telegram handlers expect, and
what they answer comes back as a new message with a Viber keyboard; rendering rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.viber.render import Links, keyboard, split_text, to_viber_text

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)


async def test_a_button_press_round_trip(viber: ViberApp):
    olena = viber.resident()
    await olena.onboard()
    await olena.press("Обрати теми")  # the offer at the end of onboarding
    screen = olena.last
    topic = olena.button("Новини міста")
    assert topic["ActionBody"].startswith("cb:") and topic["Silent"] is True
    await olena.press("Новини міста")
    # The pressed screen is shown again (a new message: Viber cannot edit) ...
    redrawn = olena.sent[-2]
    assert redrawn.token != screen.token and redrawn.buttons
    # ... and the toast Telegram would show arrives as a message keeping that keyboard.
    assert olena.last.text == "Підписано: Новини міста"
    assert olena.last.buttons == redrawn.buttons
    async with viber.telegram.sessionmaker() as session:
        from services import subscriptions
        resident = await viber.resident_of(olena.id)
        assert resident is not None
        topics = await subscriptions.topics_of(session, resident.id)
    assert {t.value for t in topics} == {"city_news"}


async def test_a_forged_or_stale_button_gets_the_polite_answer(viber: ViberApp):
    olena = viber.resident()
    await olena.onboard()
    for body in ("cb:zz:nothing", "cb:pet:sign:999999::0"):
        await olena.message({"type": "text", "text": body}, silent=True)
        assert "кнопка вже не діє" in olena.last.text or "не знайдено" in olena.last.text
    # Over 64 bytes of callback data is no button of ours: ignored, nothing crashes.
    before = len(olena.sent)
    await olena.message({"type": "text", "text": "cb:" + "x" * 65}, silent=True)
    assert len(olena.sent) == before


async def test_an_opened_link_echoed_by_viber_is_not_typed_text(viber: ViberApp):
    olena = viber.resident()
    await olena.open_chat()
    await olena.press("Почати")
    await olena.press("Українська")
    before = len(olena.sent)
    await olena.press("політики")  # open-url: Viber also sends the URL, silently
    assert len(olena.sent) == before


def test_html_becomes_viber_markers():
    links = Links("hromadatest", ["hromada_bot"])
    assert to_viber_text("<b>Петиція №12</b>: <i>готово</i>") == "*Петиція №12*: _готово_"
    assert to_viber_text("<b>Статус: </b>нова") == "*Статус:* нова"
    assert to_viber_text("a &lt;b&gt; &amp; c") == "a <b> & c"
    assert to_viber_text("<code>*x*</code> <pre><code>y</code></pre>") == "```*x*``` ```y```"
    assert to_viber_text('<a href="https://rada.gov.ua">сайт</a>') == \
        "сайт (https://rada.gov.ua)"
    assert to_viber_text('<a href="https://t.me/hromada_bot?start=petition_3">тут</a>',
                         links) == "тут (viber://pa?chatURI=hromadatest&context=petition_3)"
    assert to_viber_text("<u>u</u><s>s</s><b></b>x<br>y") == "u~s~x\ny"
    assert to_viber_text("<b>unclosed") == "*unclosed*"
    assert to_viber_text("<b>x</b>", markup=False) == "<b>x</b>"


def test_links_are_rewritten_for_viber():
    links = Links("hromadatest", ["hromada_bot"])
    assert links.deep_link("petition_12") == \
        "viber://pa?chatURI=hromadatest&context=petition_12"
    assert links.rewrite("https://t.me/hromada_bot?start=event_4") == \
        "viber://pa?chatURI=hromadatest&context=event_4"
    assert links.rewrite("https://t.me/other_bot?start=x") == "https://t.me/other_bot?start=x"
    shared = links.rewrite("https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fhromada_bot%3F"
                           "start%3Dpetition_12&text=%D0%9F%D1%96%D0%B4%D0%BF%D0%B8%D1%88%D1%96%D1%82%D1%8C")
    assert shared.startswith("viber://forward?text=")
    assert "context%3Dpetition_12" in shared and "%D0%9F" in shared


def test_keyboards_keep_to_viber_grid_and_limits():
    row = [{"text": str(i), "callback": f"n:{i}"} for i in range(8)]
    board = keyboard([row, [{"text": "<b>&</b>", "url": "https://x.example"}],
                      [{"text": "📱", "phone": "1"}]], phone_body="ph:abc")
    assert board is not None
    columns = [b["Columns"] for b in board["Buttons"]]
    assert columns == [1, 1, 1, 1, 1, 1, 3, 3, 6, 6]  # 8 in a row: a line of 6, one of 2
    assert board["Buttons"][8]["Text"] == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert board["Buttons"][8]["ActionType"] == "open-url"
    assert board["Buttons"][9] == {**board["Buttons"][9], "ActionType": "share-phone",
                                   "ActionBody": "ph:abc"}
    many = keyboard([[{"text": str(i), "callback": str(i)}] for i in range(30)])
    assert many is not None and len(many["Buttons"]) == 24
    assert keyboard([[{"text": "inline", "switch": "x"}]]) is None


def test_long_texts_are_split_at_line_ends():
    text = "\n".join(f"рядок {i} " + "я" * 90 for i in range(200))
    pieces = split_text(text)
    assert all(len(p) <= 7000 for p in pieces) and len(pieces) == 3
    assert "".join(p.replace("\n", "") for p in pieces) == text.replace("\n", "")
    assert all(p.startswith("рядок") for p in pieces)
