"""Feature packages import services.models, and services.models imports their tables: each
module still imports on its own, whichever of them a process happens to load first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST = ("services.models", "services.drafts", "services.outbox", "services.events",
         "services.broadcasts")


@pytest.mark.parametrize("module", FIRST)
def test_a_module_imports_first_in_a_fresh_process(module: str):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
