"""The one translator: gettext catalogs from `locales/`, used by handlers, scheduler and channels.

Message ids are stable keys (``menu.appeals``); every language, Ukrainian included, is a
translation of them. Catalogs are read from the ``.po`` sources at start-up (no compile step),
and each feature keeps its own ``.po`` file per language.
"""

from __future__ import annotations

import gettext as gettext_module
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES: tuple[str, ...] = ("uk", "en")
DEFAULT_LANGUAGE = "uk"

class Raw(str):
    """A value already safe for HTML parse mode (our own markup); not escaped again."""

    __slots__ = ()


def load_catalog(language: str, locales_dir: Path = LOCALES_DIR) -> Catalog:
    """Merge every ``.po`` file of one language into a single catalog."""
    # Babel knows each locale's plural rule from CLDR (Ukrainian: one / few / many).
    merged = Catalog(locale=language)
    for path in sorted((locales_dir / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        for message in catalog:
            if message.id:
                merged[message.id] = message
    return merged


def _to_translations(catalog: Catalog) -> gettext_module.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def catalog_keys(language: str, locales_dir: Path = LOCALES_DIR) -> dict[str, Any]:
    """Every message id of a language with its text (a tuple for plural entries)."""
    return {
        (m.id[0] if isinstance(m.id, tuple | list) else m.id): m.string
        for m in load_catalog(language, locales_dir)
        if m.id
    }


def _escape(value: Any) -> Any:
    if isinstance(value, Raw):
        return value
    if isinstance(value, str):
        return html.escape(value, quote=False)
    return value


class Translator:
    """Renders a key in a language; arguments are HTML-escaped unless marked `Raw`."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translations = {
            lang: _to_translations(load_catalog(lang, locales_dir)) for lang in LANGUAGES
        }

    def gettext(self, language: str, key: str, /, **kwargs: Any) -> str:
        text = self._for(language).gettext(key)
        return self._format(text, kwargs)

    def ngettext(self, language: str, key: str, n: int, /, **kwargs: Any) -> str:
        # The plural msgid is the key with ".plural"; the count is available as {n}.
        text = self._for(language).ngettext(key, key + ".plural", n)
        return self._format(text, {"n": n, **kwargs})

    def for_language(self, language: str) -> Texts:
        return Texts(self, language if language in LANGUAGES else DEFAULT_LANGUAGE)

    def _for(self, language: str) -> gettext_module.GNUTranslations:
        return self._translations.get(language) or self._translations[DEFAULT_LANGUAGE]

    @staticmethod
    def _format(text: str, kwargs: Mapping[str, Any]) -> str:
        if not kwargs:
            return text
        return text.format_map({k: _escape(v) for k, v in kwargs.items()})


@dataclass(frozen=True, slots=True)
class Texts:
    """A translator bound to one resident's language: ``tr("key", name=...)``."""

    translator: Translator
    language: str

    def __call__(self, key: str, /, **kwargs: Any) -> str:
        return self.translator.gettext(self.language, key, **kwargs)

    def plural(self, key: str, n: int, /, **kwargs: Any) -> str:
        return self.translator.ngettext(self.language, key, n, **kwargs)


@lru_cache(maxsize=1)
def get_translator() -> Translator:
    return Translator()


ECHO_MAX = 100


def echo(text: str | None, limit: int = ECHO_MAX) -> str:
    """Something a person typed, quoted back in a reply: clipped, so that however long it was
    the reply stays within the messenger's limit and readable."""
    value = " ".join((text or "").split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def normalize_language(code: str | None) -> str:
    """Map a Telegram ``language_code`` to one of ours (Ukrainian unless clearly English)."""
    if code and code.split("-")[0].lower() == "en":
        return "en"
    return DEFAULT_LANGUAGE
