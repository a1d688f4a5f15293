"""What a user gets from ``pip install django-signed-api``."""

import fnmatch
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import signed_api

ROOT = Path(__file__).resolve().parent.parent

# Paths (fnmatch patterns) every wheel must contain. Add migrations, static files and templates
# here as they arrive, e.g. "signed_api/migrations/0001_*.py", "signed_api/static/signed-api.js".
EXPECTED_IN_WHEEL = [
    "signed_api/__init__.py",
    "signed_api/py.typed",
    "signed_api/apps.py",
    "signed_api/core/__init__.py",
]

# Nothing of the repository but the package belongs in the wheel.
FORBIDDEN_IN_WHEEL = ["tests/*", "example_project/*", "docs/*", "manage.py", "*.sqlite3"]


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_import_touches_no_django_setting():
    script = """
import sys
import signed_api
import signed_api.apps
from django.conf import settings
assert not settings.configured, "importing signed_api configured Django settings"
print(signed_api.__version__)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], env=_clean_env(), cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == signed_api.__version__


def test_version_matches_distribution_metadata():
    assert signed_api.__version__ == version("django-signed-api")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    """Names in a wheel built from a copy of the package sources (offline, no isolation)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "signed_api",
        src / "signed_api",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "-w", str(out), str(src)],
        capture_output=True, text=True, cwd=src,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("django_signed_api-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.mark.parametrize("pattern", EXPECTED_IN_WHEEL)
def test_wheel_contains(wheel_names, pattern):
    assert fnmatch.filter(wheel_names, pattern), f"{pattern} missing from the wheel"


@pytest.mark.parametrize("pattern", FORBIDDEN_IN_WHEEL)
def test_wheel_leaves_out(wheel_names, pattern):
    assert not fnmatch.filter(wheel_names, pattern)
