"""Bytes to text: UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1251; CRLF or LF.

A file that is none of these (binary, another code page, UTF-8 decoded and saved again as
Windows-1251) is refused with a reason, before any parser sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.votes.report import ImportProblem

UTF8 = "utf-8"
CP1251 = "windows-1251"

# What UTF-8 Cyrillic looks like when read as Windows-1251 and saved again ("РџСЂРѕ").
_MOJIBAKE = re.compile("[РС][\u0402-\u040f\u0452-\u045f\u2018-\u203a\u0490\u0491\u00a0-\u00bf]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str  # with LF line ends and no BOM
    encoding: str
    had_bom: bool


_TEXT_BYTES = bytes(range(32, 256)) + b"\t\n\r"


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _TEXT_BYTES))  # the bytes text files do not have
    return controls > max(2, len(sample) // 100)


def decode(data: bytes) -> DecodedText:
    """Decode a text file; raises `ImportProblem` for binary data or an unreadable encoding."""
    had_bom = False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding, had_bom = data.decode("utf-16"), "utf-16", True
        except UnicodeDecodeError:
            raise ImportProblem("votes.error.encoding") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data, had_bom = data[3:], True
        if _looks_binary(data):
            raise ImportProblem("votes.error.binary")
        try:
            text, encoding = data.decode(UTF8), UTF8
        except UnicodeDecodeError as exc:
            if had_bom:
                raise ImportProblem("votes.error.bad_utf8", offset=exc.start) from None
            try:
                text, encoding = data.decode(CP1251), CP1251
            except UnicodeDecodeError:
                raise ImportProblem("votes.error.encoding") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_mojibake(text)
    return DecodedText(text, encoding, had_bom)


def _check_mojibake(text: str) -> None:
    """Refuse text where most Cyrillic letters are pairs like «Рџ», «СЂ» (double-encoded)."""
    if (text.count("Р") + text.count("С")) * 10 < len(text):
        return  # such text is made of Р and С; ordinary text has few capital Р and С
    cyrillic = len(_CYRILLIC.findall(text))
    if cyrillic >= 20 and len(_MOJIBAKE.findall(text)) * 2 > cyrillic * 0.6:
        raise ImportProblem("votes.error.mojibake")
