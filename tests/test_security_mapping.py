"""docs/security.md's ASVS table names tests by pytest node id: each must still exist (the file,
and the function or class in it), so the mapping cannot rot."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:::(\w+))?`")


def _rows() -> list[tuple[str, str, str | None]]:
    text = (ROOT / "docs" / "security.md").read_text()
    table = text[text.index("## OWASP ASVS 5.0"):]
    return [m.groups() for m in NODE_ID.finditer(table)]


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def test_the_asvs_table_names_tests():
    assert len(_rows()) >= 5


def test_every_test_named_by_the_asvs_table_exists():
    missing = []
    for path, name, inner in _rows():
        file = ROOT / path
        if not file.is_file():
            missing.append(f"{path} (no such file)")
            continue
        defined = _defined(file)
        for part in filter(None, (name, inner)):
            if part not in defined:
                missing.append(f"{path}::{part}")
    assert not missing, missing
