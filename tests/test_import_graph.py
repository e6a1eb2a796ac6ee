"""The import graph between the top-level packages has no cycle.

import-linter (contracts in pyproject.toml, run by .ci/run) checks who may import whom and
that the modules inside each package form no cycle; this checks what it cannot say: that
the product's top-level packages, taken as wholes, form no cycle either. Run on grimp's
graph, the one import-linter builds.
"""

from __future__ import annotations

import grimp
import pytest

PRODUCT = ("ocpp", "schemas", "ingest", "processors", "projections", "api", "infra", "csms")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PRODUCT)


def package_dependencies(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """For each top-level package, the other top-level packages it imports."""
    return {
        importer: {
            imported
            for imported in PRODUCT
            if imported != importer
            and graph.direct_import_exists(importer=importer, imported=imported, as_packages=True)
        }
        for importer in PRODUCT
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``edges`` as ``[a, b, ..., a]``, or None (depth-first search)."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(edges[node]):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(edges):
        cycle = visit(start)
        if cycle is not None:
            return cycle
    return None


def test_find_cycle_finds_one_and_only_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_cycle_between_the_top_level_packages(graph: grimp.ImportGraph) -> None:
    edges = package_dependencies(graph)
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


def test_ocpp_is_imported_and_imports_no_project_package(graph: grimp.ImportGraph) -> None:
    edges = package_dependencies(graph)
    assert edges["ocpp"] == set()
    assert all("ocpp" in edges[p] for p in ("schemas", "ingest", "processors", "api"))
