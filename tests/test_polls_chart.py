"""The results chart: a valid PNG of a phone-friendly size, Ukrainian text with every glyph."""

from __future__ import annotations

import struct
import subprocess
import sys
import warnings
from datetime import UTC, datetime

from services.polls import chart, media
from services.polls.results import ResultLine, Results

UKRAINIAN = "Чи підтримуєте ви облаштування скверу біля ґанку, їжака та єнота? Ґ Є І Ї ʼ"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def draw_recording(*args, **kwargs) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = chart.draw(*args, **kwargs)
    return data, [str(w.message) for w in caught]


def test_chart_is_a_phone_sized_png_with_every_ukrainian_glyph():
    labels = ["Так, підтримую", "Ні", "Частково: лише сквер, без ґанку, бо це дорого " * 3,
              "Утримуюсь (їжак, ґудзик, єнот, Ї, Є)"]
    data, messages = draw_recording(UKRAINIAN, labels, [120, 45, 30, 5], [60, 23, 15, 3],
                                    "Відповіли 200 осіб · закрито 25.12.2026 18:00",
                                    highlight=[True, False, False, False])
    assert not [m for m in messages if "missing from" in m], messages
    width, height = png_size(data)
    assert width == chart.WIDTH == 1080
    assert 600 < height < 2000
    assert 10_000 < len(data) < 500_000


def test_the_glyph_check_would_see_a_missing_glyph():
    """The check above can fail: a character DejaVu Sans lacks is reported."""
    _, messages = draw_recording("测试", ["а", "б"], [1, 1], [50, 50], "—")
    assert any("missing from" in m for m in messages)


def test_ten_long_options_stay_within_telegram_photo_limits():
    labels = [f"Варіант {i}: " + "довгий текст варіанта відповіді " * 5 for i in range(10)]
    data, _ = draw_recording("Питання " * 60, labels, list(range(10)), list(range(0, 100, 10)),
                             "footer")
    width, height = png_size(data)
    assert width == 1080 and height <= 4000 and width + height <= 10_000


def test_drawn_from_a_tally_with_leaders_and_nobody():
    lines = (ResultLine(1, "Так", 0, 0), ResultLine(2, "Ні", 0, 0))
    empty = Results(1, "Питання?", False, 0, lines, True, datetime(2026, 12, 1, tzinfo=UTC))
    assert empty.leaders == ()
    assert png_size(media.draw_results(empty))[0] == 1080
    assert png_size(media.draw_results(empty, "en"))[0] == 1080


def test_matplotlib_is_not_loaded_until_a_chart_is_drawn():
    code = ("import sys, services.models, services.polls.jobs, services.polls.answers, "
            "services.polls.media; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
