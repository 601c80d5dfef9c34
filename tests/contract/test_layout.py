"""The package's rooms and the one direction of their dependencies.

    cli  ->  history  ->  rule  ->  core        simulation -> core
      \\-> simulation (only cli/demo.py)         ROOT_ACCOUNT_USAGE.py -> rule, core
    remediation -> core (SSM Automation documents embed its scripts with the core
                   modules they import, tools/embed_remediation_script.py)

Read from the source with `ast` (every import, at any depth, including those under
TYPE_CHECKING), so a new import that breaks the direction fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RULE_DIR = Path(__file__).resolve().parents[2] / "ROOT_ACCOUNT_USAGE"
PACKAGE_DIR = RULE_DIR / "root_account_usage"
PACKAGE = "root_account_usage"

# room -> the rooms it may import from (itself included)
ALLOWED = {
    "core": {"core"},
    "rule": {"core", "rule"},
    "history": {"core", "rule", "history"},
    "simulation": {"core", "simulation"},
    "remediation": {"core"},  # embedded in SSM documents with the core modules it imports
    "cli": {"core", "rule", "history", "cli", "simulation"},
    "top": {"top", "cli"},  # __init__.py and __main__.py
    "handler": {"core", "rule"},  # ROOT_ACCOUNT_USAGE.py
}
# Third-party imports the pure core may not make.
NOT_IN_CORE = ("boto3", "botocore", "rdklib", "mypy_boto3", "moto")


def module_name(path: Path) -> str:
    if path.parent == RULE_DIR:
        return path.stem
    parts = path.relative_to(RULE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    if module == "ROOT_ACCOUNT_USAGE":
        return "handler"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else "top"


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, names expanded to
    submodules where they are modules."""
    tree = ast.parse(path.read_text())
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if (RULE_DIR / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    RULE_DIR / Path(*candidate.split(".")) / "__init__.py"
                ).exists():
                    found.add(candidate)
    return found


SOURCES = sorted(
    [*PACKAGE_DIR.rglob("*.py"), RULE_DIR / "ROOT_ACCOUNT_USAGE.py"],
)
GRAPH = {
    module_name(path): {
        imported
        for imported in imports_of(path)
        if imported == PACKAGE or imported.startswith(f"{PACKAGE}.")
    }
    for path in SOURCES
}
THIRD_PARTY = {module_name(path): imports_of(path) for path in SOURCES}


def test_the_package_has_exactly_these_rooms():
    folders = {p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists()}
    assert folders == {"core", "rule", "history", "cli", "simulation", "remediation"}


@pytest.mark.parametrize("module", sorted(GRAPH), ids=str)
def test_imports_point_only_down(module):
    allowed = ALLOWED[room(module)]
    wrong = {
        imported
        for imported in GRAPH[module]
        if imported != PACKAGE and room(imported) not in allowed
    }
    assert wrong == set(), f"{module} ({room(module)}) may not import {sorted(wrong)}"


def test_only_the_demo_command_uses_the_simulation():
    users = {m for m, imported in GRAPH.items() if any(room(i) == "simulation" for i in imported)}
    assert {m for m in users if room(m) != "simulation"} == {"root_account_usage.cli.demo"}


def test_core_imports_no_aws_sdk_and_reads_no_clock():
    for path in SOURCES:
        module = module_name(path)
        if room(module) != "core":
            continue
        assert not {i for i in THIRD_PARTY[module] if i.startswith(NOT_IN_CORE)}, module
        text = path.read_text()
        for clock in ("datetime.now(", "time.time(", "time.monotonic(", ".utcnow("):
            assert clock not in text, f"{module} reads the clock ({clock})"


def test_no_import_circle():
    # Depth-first search for a back edge among the package's modules.
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join([*visiting, module])
        visiting.append(module)
        for imported in GRAPH.get(module, ()):
            if imported in GRAPH and imported != module:
                visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)
