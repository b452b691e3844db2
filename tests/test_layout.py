"""The code's layout: one package per domain, no cycles between them, small folders.

Each top-level package or module of `app/` is a unit; a unit depends on another
when any of its modules imports it (also inside a function). The units must
form no cycle, so each package can be read and changed knowing only what it
imports; and no folder holds more than ten modules, so it stays one job.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import app

APP_DIR = Path(app.__file__).resolve().parent
MAX_MODULES_PER_FOLDER = 10


def _modules() -> Iterator[Path]:
    return (path for path in APP_DIR.rglob("*.py") if "__pycache__" not in path.parts)


def _unit(dotted: str) -> str | None:
    """`app.events.service` -> `events`; None for what is not in app."""
    parts = dotted.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    return parts[1]


def _imported_units(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    units: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from app import health` names the unit in the imported name.
            names = (
                [f"app.{alias.name}" for alias in node.names]
                if node.module == "app"
                else [node.module]
            )
        else:
            continue
        units.update(unit for name in names if (unit := _unit(name)) is not None)
    return units


def unit_graph() -> dict[str, set[str]]:
    """Each unit of app (package, or top-level module) -> the other units it imports."""
    graph: dict[str, set[str]] = {}
    for path in _modules():
        relative = path.relative_to(APP_DIR)
        unit = relative.parts[0].removesuffix(".py")
        graph.setdefault(unit, set()).update(_imported_units(path) - {unit})
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first unit repeated at the end), or None."""
    done: set[str] = set()

    def visit(unit: str, path: list[str]) -> list[str] | None:
        if unit in path:
            return [*path[path.index(unit) :], unit]
        if unit in done:
            return None
        for target in sorted(graph.get(unit, ())):
            if cycle := visit(target, [*path, unit]):
                return cycle
        done.add(unit)
        return None

    for unit in sorted(graph):
        if cycle := visit(unit, []):
            return cycle
    return None


def test_no_two_units_of_app_depend_on_each_other() -> None:
    cycle = find_cycle(unit_graph())
    assert cycle is None, "app's packages import each other: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {
        "events": {"mail", "kit"},
        "mail": {"kit", "registrations"},
        "registrations": {"events"},
    }
    assert find_cycle(graph) == ["events", "mail", "registrations", "events"]
    assert find_cycle({"events": {"mail"}, "mail": {"kit"}, "kit": set()}) is None


def test_no_folder_of_app_holds_more_than_ten_modules() -> None:
    counts: dict[str, int] = {}
    for path in _modules():
        folder = str(path.parent.relative_to(APP_DIR.parent))
        counts[folder] = counts.get(folder, 0) + 1
    crowded = {folder: count for folder, count in counts.items() if count > MAX_MODULES_PER_FOLDER}
    assert not crowded, f"folders with more than {MAX_MODULES_PER_FOLDER} modules: {crowded}"
