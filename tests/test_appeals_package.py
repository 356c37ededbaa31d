"""services.appeals re-exports its modules' public names, found on first use (the package
imports nothing but services.models at load time)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import services.appeals as appeals

INIT = Path(appeals.__file__)


def _typed_imports() -> dict[str, str]:
    """name → module, as the `if TYPE_CHECKING:` block of the package imports it."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom) and item.module
                found.update({alias.name: item.module for alias in item.names})
    return found


def test_every_exported_name_is_the_object_of_its_module():
    typed = _typed_imports()
    assert sorted(typed) == sorted(appeals.__all__)
    for name, module in typed.items():
        assert getattr(appeals, name) is getattr(importlib.import_module(module), name), name


def test_an_unknown_name_is_an_attribute_error():
    assert not hasattr(appeals, "no_such_thing")


def test_any_module_may_be_imported_first():
    """No import order breaks: the tables, the package and its modules, from a fresh process."""
    # The tables first (services.models loads the package), and a core module importing
    # services.models halfway through its own load.
    for first in ("services.appeals.models", "services.drafts"):
        code = (f"import {first}\nfrom services import appeals\n"
                "assert appeals.stats.__module__ == 'services.appeals.figures'\n"
                "assert appeals.Appeal.__tablename__ == 'appeals'")
        subprocess.run([sys.executable, "-c", code], check=True,
                       cwd=INIT.parent.parent.parent)
