"""The site's plumbing (core) imports no domain app, learning imports nothing from home, and the
page models nothing from the API that serves them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = {"home", "learning", "chat"}


def imported_modules(package):
    """``{(file, module)}`` for every import in the package's code (tests aside)."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {(str(path.relative_to(ROOT)), name) for name in names}
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("core", DOMAIN_APPS),
        ("learning", {"home"}),
        ("chat", {"home"}),
        ("learning/models", {"learning.api"}),
    ],
)
def test_a_lower_layer_never_imports_a_higher_one(package, forbidden):
    wrong = sorted(
        (path, name)
        for path, name in imported_modules(package)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    )
    assert wrong == []
