"""The server never imports the client package: base64url and the algorithms live in the core,
which both sides import (docs/architecture.md). Read from the source with ``ast``, so an import
inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import signed_api

PACKAGE = Path(signed_api.__file__).resolve().parent
CLIENT = "signed_api.client"
# The signing test client for downstream test suites: a client by design, it signs with the
# real ``SignatureAuth`` so that a test exercises what a user's client sends.
CLIENT_SIDE = {"signed_api.test"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in ``path`` names, made absolute."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imported_by(path.read_text(encoding="utf-8"), package)


def imported_by(source: str, package: str) -> set[str]:
    """The modules ``source``, a module of ``package``, imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # ``from . import client`` names the module in the alias.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def names_client(modules: set[str]) -> bool:
    return any(m == CLIENT or m.startswith(CLIENT + ".") for m in modules)


def imports_client(path: Path) -> bool:
    return names_client(imported_modules(path))


def server_modules() -> list[Path]:
    return [
        path for path in sorted(PACKAGE.rglob("*.py"))
        if not _module_name(path).startswith(CLIENT)
    ]


def test_no_server_module_imports_the_client():
    offenders = [
        _module_name(path) for path in server_modules()
        if _module_name(path) not in CLIENT_SIDE and imports_client(path)
    ]
    assert offenders == []


def test_the_walk_covers_the_server_and_sees_a_client_import():
    names = {_module_name(path) for path in server_modules()}
    assert {"signed_api.views", "signed_api.core.algorithms", "signed_api.admin",
            "signed_api.admin.base", "signed_api.management.commands.signed_api_createkey"} <= names
    assert not any(name.startswith(CLIENT) for name in names)
    # The control: the probe does see the client where it is imported (relative, absolute,
    # lazily inside a function).
    assert imports_client(PACKAGE / "test.py")
    assert "signed_api.client.auth" in imported_modules(PACKAGE / "client" / "session.py")
    for source, package in [
        ("import signed_api.client\n", "signed_api"),
        ("from signed_api import client\n", "signed_api.core"),
        ("from . import client\n", "signed_api"),
        ("from ..client.auth import encode_secret\n", "signed_api.management"),
        ("def f():\n    from .client import auth\n", "signed_api"),
    ]:
        assert names_client(imported_by(source, package)), source
    assert not names_client(imported_by("from .core import b64\n", "signed_api"))
    assert not names_client(imported_by("from . import clients\n", "signed_api"))
