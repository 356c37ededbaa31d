"""Start-up configuration: a bad token is one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(env_extra: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    env.update(env_extra)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("command", ["run", "web"])
@pytest.mark.parametrize(("env", "expected"), [
    ({}, "BOT_TOKEN: is missing"),
    ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
    ({"BOT_TOKEN": "123:short"}, "does not look like a token"),
])
def test_bad_token_fails_with_one_line(tmp_path: Path, env: dict[str, str], expected: str,
                                       command: str):
    result = _run(env, command, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrate_and_admin_cli_on_a_fresh_sqlite_file(tmp_path: Path):
    env = {"BOT_TOKEN": "123456:" + "B" * 35,
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"}
    assert _run(env, "migrate", cwd=tmp_path).returncode == 0
    assert (tmp_path / "data" / "bot.db").exists()
    added = _run(env, "admin", "add", "4242", cwd=tmp_path)
    assert added.returncode == 0 and "done" in added.stdout
    listed = _run(env, "admin", "list", cwd=tmp_path)
    assert "4242 admin" in listed.stdout
    removed = _run(env, "admin", "remove", "4242", cwd=tmp_path)
    assert "done" in removed.stdout
    assert "4242" not in _run(env, "admin", "list", cwd=tmp_path).stdout
    bad = _run(env, "admin", "add", "bob", cwd=tmp_path)
    assert bad.returncode != 0 and "numeric" in bad.stderr


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_migrate_and_admin_need_no_token(tmp_path: Path, token: str | None):
    """Only the commands that talk to Telegram need BOT_TOKEN (a deploy migrates first)."""
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    if token is not None:
        env["BOT_TOKEN"] = token
    migrated = _run(env, "migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    added = _run(env, "admin", "add", "4243", cwd=tmp_path)
    assert added.returncode == 0 and "done" in added.stdout, added.stderr
    assert "4243 admin" in _run(env, "admin", "list", cwd=tmp_path).stdout
    # A setting these commands do use is still checked.
    broken = _run({**env, "DEFAULT_LANGUAGE": "fr"}, "migrate", cwd=tmp_path)
    assert broken.returncode == 2 and "DEFAULT_LANGUAGE" in broken.stderr
    assert "BOT_TOKEN" not in broken.stderr


def test_env_example_documents_every_setting_and_parses(tmp_path: Path, monkeypatch):
    from bot.config import Settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    keys = {line.split("=", 1)[0].strip() for line in example.splitlines()
            if line.strip() and not line.startswith("#")}
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - keys == set(), "settings missing from .env.example"
    assert keys - fields == set(), ".env.example lists settings that do not exist"
    env_file = tmp_path / ".env"
    env_file.write_text(example.replace("BOT_TOKEN=", "BOT_TOKEN=123456:" + "D" * 35, 1),
                        encoding="utf-8")
    for key in keys:
        monkeypatch.delenv(key, raising=False)
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None, bot_token="123456:" + "D" * 35)  # type: ignore[call-arg]
    # Every value written in the example is the real default.
    assert settings.model_dump() == defaults.model_dump()
