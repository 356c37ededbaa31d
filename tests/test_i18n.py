"""Catalogs: every key in both languages, the same placeholders, Ukrainian plurals right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.i18n import LANGUAGES, Raw, Translator, catalog_keys, load_catalog

PLACEHOLDER = re.compile(r"{(\w+)}")


def _placeholders(value: object) -> set[str]:
    parts = value if isinstance(value, tuple | list) else [value]
    return {name for part in parts for name in PLACEHOLDER.findall(str(part or ""))}


def test_every_key_exists_in_every_language():
    keys = {lang: set(catalog_keys(lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        for other in LANGUAGES:
            missing = keys[lang] - keys[other]
            assert not missing, f"in {lang} but not in {other}: {sorted(missing)[:20]}"


def test_translations_are_not_empty_and_share_placeholders():
    uk, en = catalog_keys("uk"), catalog_keys("en")
    for key, value in uk.items():
        assert value and all(value if isinstance(value, tuple) else [value]), f"empty uk {key}"
        assert en[key] and all(en[key] if isinstance(en[key], tuple) else [en[key]]), key
        assert _placeholders(value) == _placeholders(en[key]), f"placeholders differ: {key}"


def test_the_check_catches_a_key_in_one_language_only(tmp_path: Path):
    for lang, extra in (("uk", 'msgid "only.here"\nmsgstr "тут"\n'), ("en", "")):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "x.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; '
                                     'charset=UTF-8\\n"\n\n' + extra, encoding="utf-8")
    assert set(catalog_keys("uk", tmp_path)) - set(catalog_keys("en", tmp_path)) == {"only.here"}


@pytest.mark.parametrize(("n", "expected"), [
    (1, "1 день"), (2, "2 дні"), (4, "4 дні"), (5, "5 днів"), (11, "11 днів"),
    (12, "12 днів"), (21, "21 день"), (22, "22 дні"), (25, "25 днів"), (101, "101 день"),
    (111, "111 днів"),
])
def test_ukrainian_plural_forms(n: int, expected: str):
    assert Translator().ngettext("uk", "common.days", n) == expected


def test_english_plural_and_fallback_language():
    t = Translator()
    assert t.ngettext("en", "common.days", 1) == "1 day"
    assert t.ngettext("en", "common.days", 3) == "3 days"
    assert t.for_language("de").language == "uk"


def test_arguments_are_escaped_unless_raw():
    t = Translator()
    assert "&lt;script&gt;" in t.gettext("uk", "staff.line", id="<script>", roles="x")
    assert "<b>ok</b>" in t.gettext("uk", "staff.line", id=Raw("<b>ok</b>"), roles="x")


def test_uk_catalog_declares_three_plural_forms():
    assert load_catalog("uk").num_plurals == 3
