"""Driving `python -m bot chat` as a person would: a subprocess with pipes, whose output is
read line by line as it comes (every wait is for a line, never a sleep)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = re.compile(r"^── (бот|bot)\b")
BUTTON = re.compile(r"\[(\d+)\] ")
BUTTON_GAP = "   "


def chat_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "DATABASE", "VIBER_", "REDIS", "MEDIA"))}
    env.update({"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT),
                "SCHEDULER_TICK_SECONDS": "0.5", **extra})
    return env


async def run_command(cwd: Path, env: dict[str, str], *args: str, given: str = ""
                      ) -> tuple[int, str, str]:
    """`python -m bot ARGS` with `given` as its whole input; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(given.encode()), 120)
    return proc.returncode or 0, out.decode(), err.decode()


class Terminal:
    """The chat process and everything it printed; `seen` marks what a wait already used."""


    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.seen = 0
        # Where the message of the last match begins: buttons are looked for from there on,
        # so a button of an older message is never pressed by mistake.
        self.since = 0

    @classmethod
    async def start(cls, cwd: Path, env: dict[str, str], *args: str) -> Terminal:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "chat", *args, cwd=cwd, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        return cls(proc)

    async def _read_line(self) -> bool:
        assert self.proc.stdout is not None
        raw = await self.proc.stdout.readline()
        if not raw:
            return False
        self.lines.append(raw.decode().rstrip("\n"))
        return True

    async def expect(self, text: str, within: float = 60) -> int:
        """Wait for a line (after the last one a wait used) containing `text`; its index."""
        async with asyncio.timeout(within):
            while True:
                for i in range(self.seen, len(self.lines)):
                    if text in self.lines[i]:
                        self.seen = i + 1
                        self.since = next((j for j in range(i, -1, -1)
                                           if HEADER.match(self.lines[j])), 0)
                        return i
                if not await self._read_line():
                    raise AssertionError(f"the chat ended before {text!r}:\n{self.output()}")

    def output(self) -> str:
        return "\n".join(self.lines)

    def shown_buttons(self) -> dict[str, int]:
        """The buttons printed last (text → number): the ones a number presses."""
        block: dict[str, int] = {}
        for line in reversed(self.lines[self.since:]):
            if HEADER.match(line):
                if block:
                    return block
                continue
            for cell in line.strip().split(BUTTON_GAP):
                found = BUTTON.match(cell)
                if found:
                    block[cell[found.end():]] = int(found.group(1))
        return block

    def button(self, label: str) -> int | None:
        """The number of the shown button whose text contains `label`."""
        for text, number in self.shown_buttons().items():
            if label in text:
                return number
        return None

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def press(self, label: str, *, then: str) -> int:
        """Press the button, wait for `then` to be printed."""
        await self.send(str(await self.expect_button(label)))
        return await self.expect(then)

    async def expect_button(self, label: str, within: float = 60) -> int:
        """Wait until a button with `label` is among the shown ones; its number."""
        async with asyncio.timeout(within):
            while (number := self.button(label)) is None:
                if not await self._read_line():
                    raise AssertionError(f"no button {label!r}:\n{self.output()}")
        self.seen = len(self.lines)
        return number

    async def close(self) -> tuple[int, str]:
        """End the input (Ctrl+D); the exit code and stderr."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        out, err = await asyncio.wait_for(self.proc.communicate(), 60)
        self.lines += out.decode().splitlines()
        return self.proc.returncode or 0, err.decode()
