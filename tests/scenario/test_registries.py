"""`PolicySpec` and `DisruptionSpec` are unions built from the registries at run time; mypy
reads a written-out copy under `if TYPE_CHECKING:`, which must name the same classes, each
imported from its own module, or the type check would miss a new type."""

import ast
import inspect

import pytest

from sim.scenario import disruptions, policies


def _static_union(package, alias: str) -> dict[str, str]:
    """Class name -> module it is imported from, of the `alias` mypy reads in `package`."""
    tree = ast.parse(inspect.getsource(package))
    imported: dict[str, str] = {}
    members: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in (n for top in node.body for n in ast.walk(top)):  # not the `else:`
            if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
                imported.update({a.name: str(stmt.module) for a in stmt.names})
            if isinstance(stmt, ast.Assign) and ast.unparse(stmt.targets[0]) == alias:
                assert isinstance(stmt.value, ast.Subscript)  # Annotated[A | B | ..., Field]
                union = stmt.value.slice
                assert isinstance(union, ast.Tuple)
                members = [n.id for n in ast.walk(union.elts[0]) if isinstance(n, ast.Name)]
    assert members, f"no {alias} under TYPE_CHECKING"
    return {name: imported[name] for name in members}


@pytest.mark.parametrize(
    ("package", "alias"), [(policies, "PolicySpec"), (disruptions, "DisruptionSpec")]
)
def test_the_union_mypy_reads_is_the_registry(package, alias):
    static = _static_union(package, alias)
    registry = {spec.__name__: package.MODULE_OF[kind] for kind, spec in package.SPECS.items()}
    assert static == registry
    assert len(static) == len(package.MODULES)


def test_the_runtime_union_is_built_from_the_registry():
    # the alias pydantic reads is the one built at run time, not the TYPE_CHECKING copy
    for package, alias in ((policies, "PolicySpec"), (disruptions, "DisruptionSpec")):
        union = getattr(package, alias).__origin__
        assert set(union.__args__) == set(package.SPECS.values())
