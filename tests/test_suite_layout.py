"""The suite keeps one home for each of its own helpers: the shared users, keys and clients are
fixtures of tests/conftest.py only, no conftest is imported as a module (pytest loads it; plain
helpers live in a ``support.py``), and no test module is named like a package of the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SHARED_FIXTURES = {"user", "other_user", "hmac_key", "signed_client", "api_client"}


def _modules():
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_fixture(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
        if isinstance(target, ast.Name) and target.id == "fixture":
            return True
    return False


def test_the_shared_fixtures_are_defined_once_in_the_root_conftest():
    defined = {
        (str(path.relative_to(TESTS)), node.name)
        for path in _modules()
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.FunctionDef) and node.name in SHARED_FIXTURES and _is_fixture(node)
    }
    assert defined == {("conftest.py", name) for name in SHARED_FIXTURES}


def test_no_conftest_is_imported_as_a_module():
    imports = []
    for path in _modules():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(name.split(".")[-1] == "conftest" for name in names):
                imports.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert imports == []


@pytest.mark.parametrize("name", ["services.py", "test_services.py"])
def test_no_test_module_shares_a_name_with_the_package(name):
    # tests/servers.py starts the throw-away servers; signed_api/services is the package's.
    assert not (TESTS / name).exists()
