"""The import rules of the architecture (docs/ARCHITECTURE.md), checked on the source with ast.

Imports under ``if TYPE_CHECKING:`` are left out (they never run); imports inside functions
count, since they run too. Every rule holds on today's tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "services", "bench")
MAX_LINES = 400
# The kit modules that must stay channel-neutral (render_aiogram and show may use aiogram).
NEUTRAL_KIT = ("handlers.kit", "handlers.kit.screen", "handlers.kit.keyboard",
               "handlers.kit.pager", "handlers.kit.feature")


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: set[str] = field(default_factory=set)  # dotted names, as written (resolved)


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement except those only type checkers see."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def load_modules(root: Path, packages: Iterable[str]) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            name, is_package = _module_name(root, path)
            modules[name] = Module(name, path, is_package)
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
        for node in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                module.imports.update(alias.name for alias in node.names)
                continue
            base = _absolute(module, node)
            for alias in node.names:
                # `from a import b` imports module a.b when there is one, else a name of a.
                sub = f"{base}.{alias.name}"
                module.imports.add(sub if sub in modules else base)
    return modules


def _internal(name: str, modules: dict[str, Module]) -> str | None:
    """The module of ours a dotted import name lands in (its longest known prefix)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module in modules.values():
        for name in module.imports:
            target = _internal(name, modules)
            if target is None or target == module.name:
                continue
            # A package importing its own submodules (re-exports) is not a circle.
            if module.is_package and target.startswith(module.name + "."):
                continue
            graph[module.name].add(target)
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def _imports_package(module: Module, *packages: str) -> list[str]:
    return sorted(n for n in module.imports if n.split(".")[0] in packages)


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules(ROOT, PACKAGES)


def _in(modules: dict[str, Module], package: str) -> list[Module]:
    return [m for m in modules.values() if m.name == package or m.name.startswith(package + ".")]


# ---- the rules -------------------------------------------------------------------------------


def test_services_know_nothing_of_aiogram_bot_or_handlers(modules):
    bad = {m.name: found for m in _in(modules, "services")
           if (found := _imports_package(m, "aiogram", "bot", "handlers"))}
    assert not bad


def test_screens_and_the_neutral_kit_never_import_aiogram(modules):
    neutral = [m for m in _in(modules, "handlers")
               if m.name in NEUTRAL_KIT or m.path.name.startswith("screens")]
    assert {"handlers.kit.screen", "handlers.kit.pager"} <= {m.name for m in neutral}
    bad = {m.name: found for m in neutral if (found := _imports_package(m, "aiogram"))}
    assert not bad


def test_the_kit_never_imports_bot(modules):
    bad = {m.name: found for m in _in(modules, "handlers.kit")
           if (found := _imports_package(m, "bot"))}
    assert not bad


def test_handlers_never_import_bot(modules):
    bad = {m.name: found for m in _in(modules, "handlers")
           if (found := _imports_package(m, "bot"))}
    assert not bad


def test_the_outbox_worker_loop_knows_no_messenger(modules):
    """Written once: it reaches a channel only through the contract and the registry."""
    allowed = {"bot.channels.base", "bot.channels.registry"}
    outbox = _in(modules, "bot.outbox")
    assert {"bot.outbox.worker", "bot.outbox.throttle"} <= {m.name for m in outbox}
    bad = {m.name: found for m in outbox
           if (found := [n for n in _imports_package(m, "aiogram", "bot")
                         if n.startswith(("aiogram", "bot.channels")) and n not in allowed])}
    assert not bad


def test_no_import_circles(modules):
    assert import_circles(import_graph(modules)) == []


def test_no_module_over_400_lines(modules):
    long = {m.name: n for m in modules.values()
            if (n := len(m.path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_the_kit_itself_keeps_the_rules(modules):
    """The rules above that today's tree breaks hold for the kit already."""
    kit = {m.name for m in _in(modules, "handlers.kit")}
    for circle in import_circles(import_graph(modules)):
        assert not kit & set(circle), circle
    for name in kit:
        assert len(modules[name].path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


# ---- the checker itself: each rule can fail ---------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Module]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_modules(tmp_path, ("pkg",))


def test_checker_finds_a_circle_but_not_a_package_importing_its_submodules(tmp_path):
    modules = _tree(tmp_path, {
        "pkg/__init__.py": "from pkg import a\nfrom pkg.feat import routers\n",
        "pkg/a.py": "import pkg.b\n",
        "pkg/b.py": "def f():\n    from pkg.a import thing\n",
        "pkg/feat/__init__.py": "from .routers import build\n",
        "pkg/feat/routers.py": "from pkg.feat import callbacks\nfrom . import states\n",
        "pkg/feat/callbacks.py": "",
        "pkg/feat/states.py": "",
    })
    graph = import_graph(modules)
    assert graph["pkg.feat.routers"] == {"pkg.feat.callbacks", "pkg.feat.states"}
    assert graph["pkg.feat"] == set()
    assert import_circles(graph) == [["pkg.a", "pkg.b"]]


def test_checker_skips_type_checking_imports_and_resolves_relative_ones(tmp_path):
    modules = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/kit/__init__.py": "",
        "pkg/kit/screen.py": ("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from aiogram import Router\n"
                              "else:\n    import json\n"
                              "from ..other import x\nfrom .pager import y\n"),
        "pkg/kit/pager.py": "import aiogram.types\n",
        "pkg/other.py": "",
    })
    screen, pager = modules["pkg.kit.screen"], modules["pkg.kit.pager"]
    assert _imports_package(screen, "aiogram") == []
    assert {"json", "pkg.other", "pkg.kit.pager"} <= screen.imports
    assert _imports_package(pager, "aiogram") == ["aiogram.types"]
