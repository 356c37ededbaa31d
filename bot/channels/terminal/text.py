"""Our HTML subset (b, i, u, s, a href, code, pre) as a terminal shows it.

On a terminal (a tty) bold, italic, underline and strike-through become ANSI styles; into a
pipe or a file the words are written as they are. Entities are unescaped; a link is its text
with the address after it, unless the text already is the address.
"""

from __future__ import annotations

from html.parser import HTMLParser

BOLD, DIM, ITALIC, UNDERLINE, STRIKE, RESET = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[4m", \
    "\x1b[9m", "\x1b[0m"
_STYLES = {"b": BOLD, "strong": BOLD, "i": ITALIC, "em": ITALIC, "u": UNDERLINE,
           "ins": UNDERLINE, "s": STRIKE, "strike": STRIKE, "del": STRIKE}


class _ToTerminal(HTMLParser):
    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.out: list[str] = []
        self.open: list[tuple[str, str | None]] = []  # (tag, href of an <a>)
        self.link_start: list[int] = []

    def _restyle(self) -> None:
        """ANSI has no "end bold": reset, then switch on what is still open."""
        if self.ansi:
            self.out.append(RESET + "".join(_STYLES[t] for t, _ in self.open if t in _STYLES))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
            return
        self.open.append((tag, dict(attrs).get("href") if tag == "a" else None))
        if tag == "a":
            self.link_start.append(len(self.out))
        elif tag in _STYLES and self.ansi:
            self.out.append(_STYLES[tag])

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not any(t == tag for t, _ in self.open):
            return  # a stray closing tag: its text was written already
        while self.open:
            closed, href = self.open.pop()
            if closed == "a":
                self._close_link(href)
            elif closed in _STYLES:
                self._restyle()
            if closed == tag:
                return

    def _close_link(self, href: str | None) -> None:
        start = self.link_start.pop()
        inner = "".join(self.out[start:])
        if href and not href.startswith("tg://") and href not in inner:
            self.out.append(f" ({href})" if inner.strip() else href)

    def result(self) -> str:
        if self.open:  # unclosed tags end with the text
            self.handle_endtag(self.open[0][0])
        return "".join(self.out)


def to_terminal(text: str, *, ansi: bool = False, markup: bool = True) -> str:
    """The text as the terminal prints it; `markup=False` for text sent without HTML."""
    if not markup:
        return text
    parser = _ToTerminal(ansi)
    parser.feed(text)
    parser.close()
    return parser.result()


def plain(text: str) -> str:
    """The visible words of our HTML (what Telegram puts in `Message.text`)."""
    return to_terminal(text, ansi=False)


def dim(text: str, ansi: bool) -> str:
    return f"{DIM}{text}{RESET}" if ansi else text
