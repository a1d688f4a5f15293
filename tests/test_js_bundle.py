"""The committed browser bundle is exactly what ``make js`` builds from clients/js.

``signed_api/static/signed_api/signed-api.js`` is built by ``clients/js/build.mjs`` (pinned
esbuild, fixed options). This builds it again into a temp dir and fails on any difference, so a
change to clients/js/src without ``make js`` and a commit of the bundle does not pass. Needs
``node`` and ``npm ci`` in clients/js: without them it is skipped, and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "clients" / "js"
BUNDLE = REPO / "signed_api" / "static" / "signed_api" / "signed-api.js"


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _node() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not (PACKAGE / "node_modules" / "esbuild").is_dir():
        problem = "clients/js/node_modules is missing (make js runs npm ci)"
    if problem is not None:
        if _under_ci():
            pytest.fail(f"CI=true and {problem}", pytrace=False)
        pytest.skip(problem)
    assert node is not None
    return node


def test_committed_bundle_is_a_fresh_build(tmp_path):
    node = _node()
    out = tmp_path / "signed-api.js"
    subprocess.run(
        [node, "build.mjs", str(out)], cwd=PACKAGE, check=True, capture_output=True, timeout=120
    )
    fresh = out.read_bytes()
    assert BUNDLE.is_file(), "the bundle is not committed: run `make js`"
    assert fresh == BUNDLE.read_bytes(), (
        "signed_api/static/signed_api/signed-api.js differs from a fresh build: run `make js` "
        "and commit it"
    )
    # No machine-specific path got in (esbuild's path comments are relative to clients/js).
    assert str(REPO).encode() not in fresh
    assert fresh.startswith(b"// signed-api-client browser bundle")


def test_bundle_is_an_es_module_without_node_builtins():
    text = BUNDLE.read_text(encoding="utf-8")
    assert "\nexport {" in text
    for name in ("SignedApiClient", "IndexedDBKeyStore", "SignedApiError", "Signer"):
        assert name in text
    assert 'from "node:' not in text and "require(" not in text
