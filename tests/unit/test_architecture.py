"""The import graph of ``linktime/`` keeps the shape docs/ARCHITECTURE.md draws: no cycles, and each
layer imports only from layers below it (or its own). Every import counts, also one inside a
function: a cycle dodged by a late import is still a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.same_on_every_database

PACKAGE = Path(__file__).resolve().parents[2] / "linktime"

# Lowest first. A module belongs to the layer with the longest prefix that names it; "linktime" names
# the package itself (create_app) only.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("linktime.scheduling", "linktime.crypto", "linktime.tokens", "linktime.formatting", "linktime.zones",
              "linktime.i18n",
              "linktime.http",
              "linktime.privacy", "linktime.validators", "linktime.logs", "linktime.extensions", "linktime.config",
              "linktime.urls", "linktime.database")),
    ("data", ("linktime.models", "linktime.audit", "linktime.throttle", "linktime.ownership", "linktime.host_lock",
              "linktime.token_renewal", "linktime.secrets_at_rest", "linktime.jobs")),
    ("outside", ("linktime.calendars", "linktime.conferencing", "linktime.notifications", "linktime.webhooks")),
    ("features", ("linktime.accounts", "linktime.bookings", "linktime.event_types", "linktime.teams")),
    ("web", ("linktime.web", "linktime.integrations", "linktime.admin", "linktime.cli", "linktime.doctor",
             "linktime.wiring",
             "linktime.accounts.views", "linktime.bookings.views", "linktime.bookings.host_views",
             "linktime.event_types.views", "linktime.event_types.schedule_views", "linktime.teams.views",
             "linktime.calendars.views",
             "linktime.conferencing.zoom.views",
             "linktime.notifications.views", "linktime.webhooks.views", "linktime.api", "linktime")),
]
# The look-alike providers: run beside LinkTime (python -m …), never imported by it.
SANDBOX = "linktime.sandbox"


def is_sandbox(module: str) -> bool:
    return module == SANDBOX or module.startswith(SANDBOX + ".")


def module_names() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The linktime modules ``name`` imports, anywhere in it (``from pkg import module`` names the
    module), but for ``if TYPE_CHECKING:`` blocks, which never run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in [node for node in ast.walk(tree) if isinstance(node, ast.If)
                  and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]:
        block.body = []
    named = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            named |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
    found = set()
    for module in named:
        while module not in modules and "." in module:
            module = module.rsplit(".", 1)[0]
        if module in modules and module != name:
            found.add(module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            names = module == prefix or (prefix != "linktime" and module.startswith(prefix + "."))
            if names and len(prefix) > best:
                best, rank = len(prefix), number
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS (and to docs/ARCHITECTURE.md)"
    return rank


def test_no_module_imports_another_that_imports_it_back():
    assert cycles(import_graph()) == []


def test_each_layer_imports_only_from_its_own_or_lower_ones():
    upward = [f"{module} ({LAYERS[layer_of(module)][0]}) imports {other} ({LAYERS[layer_of(other)][0]})"
              for module, others in import_graph().items() if not is_sandbox(module)
              for other in sorted(others) if not is_sandbox(other) and layer_of(other) > layer_of(module)]
    assert upward == []


def test_the_scheduling_core_is_pure_and_providers_never_reach_into_bookings():
    graph = import_graph()
    for module, path in module_names().items():
        if module.startswith("linktime.scheduling"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for alias in node.names}
            roots |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                      if isinstance(node, ast.ImportFrom) and not node.level}
            assert not roots & {"flask", "sqlalchemy", "flask_sqlalchemy", "requests"}, module
            assert all(other.startswith("linktime.scheduling") for other in graph[module]), module
    for module, others in graph.items():
        if module.startswith(("linktime.calendars", "linktime.conferencing")):
            assert not [o for o in others if o.startswith(("linktime.bookings", "linktime.event_types"))], module


def test_no_product_module_imports_a_sandbox():
    importers = [module for module, others in import_graph().items()
                 if not is_sandbox(module) and any(is_sandbox(other) for other in others)]
    assert importers == []


def test_the_checks_see_a_cycle_hidden_in_a_function(tmp_path):
    """The graph is built from every import, also one a function makes late."""
    graph = {"linktime.a": {"linktime.b"}, "linktime.b": {"linktime.c"}, "linktime.c": {"linktime.a"},
             "linktime.d": set()}
    assert cycles(graph) == [["linktime.a", "linktime.b", "linktime.c"]]
    late = tmp_path / "late.py"
    late.write_text("if TYPE_CHECKING:\n    from linktime.crypto import KeyRing\n"
                    "def f():\n    from linktime.models import User\n")
    modules = {"linktime.models": late, "linktime.late": late, "linktime.crypto": late}
    assert imports_of("linktime.late", late, modules) == {"linktime.models"}
