"""`python -m bot import-votes PATH...`: runs without BOT_TOKEN and prints the report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.votes_support import KYIV, OWN, ROOT, real


def _run(*args: str, cwd: Path, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    env.update(env_extra)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_import_votes_needs_no_token_and_reports_each_file(tmp_path: Path):
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"}
    migrated = _run("migrate", cwd=tmp_path, env_extra={**db, "BOT_TOKEN": "123456:" + "C" * 35})
    assert migrated.returncode == 0, migrated.stderr
    council = OWN / "council"
    first = _run("import-votes", str(council), cwd=tmp_path, env_extra=db)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("✅ ") and "deputies.csv: імпортовано — нових депутатів: 6" \
        in lines[0]
    assert any("motions2.csv: імпортовано" in line and "нових голосувань: 4" in line
               for line in lines)
    assert lines[-1].startswith("Разом: імпортовано файлів 3, пропущено 0, відхилено 0")
    again = _run("import-votes", str(council), "--lang", "en", cwd=tmp_path, env_extra=db)
    assert again.returncode == 0
    assert again.stdout.count("skipped — everything in this file was imported before") == 3
    bad = _run("import-votes", str(KYIV / "raw-invalid" / "231005_16.json"),
               str(real("evoting-json/kyiv-rada4/raw/231109_99.json")), cwd=tmp_path,
               env_extra=db)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "❌" in bad.stdout and "рядок 9, позиція 151: недійсний JSON" in bad.stdout
    # The valid file beside it was refused for its unknown deputies, and said so.
    assert "231109_99.json: не імпортовано" in bad.stdout
    assert "депутата «Андронов В.Є.» немає у списку депутатів" in bad.stdout
    added = _run("import-votes", "--add-unknown-deputies",
                 str(real("evoting-json/kyiv-rada4/raw/231109_99.json")), cwd=tmp_path,
                 env_extra=db)
    # 121 rows: 120 named deputies and one unnamed seat (". ....").
    assert added.returncode == 0 and "нових депутатів: 120;" in added.stdout
    missing = _run("import-votes", str(tmp_path / "nope.json"), cwd=tmp_path, env_extra=db)
    assert missing.returncode != 0 and "no such file or folder" in missing.stderr


def test_import_votes_on_a_database_without_the_schema_says_what_to_do(tmp_path: Path):
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}
    result = _run("import-votes", str(OWN / "council" / "deputies.csv"), cwd=tmp_path,
                  env_extra=db)
    assert result.returncode == 2 and "python -m bot migrate" in result.stderr
    assert "Traceback" not in result.stderr
