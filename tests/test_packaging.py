"""What a user gets from ``pip install django-signed-api``."""

import email
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tarfile
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
    "signed_api/static/signed_api/signed-api.js",
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


def _package_sources(tmp_path_factory):
    """A copy of what the sdist and wheel are built from (offline, no build isolation)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "signed_api",
        src / "signed_api",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return src


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory):
    src = _package_sources(tmp_path_factory)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "-w", str(out), str(src)],
        capture_output=True, text=True, cwd=src,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("django_signed_api-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel_names(wheel_path):
    with zipfile.ZipFile(wheel_path) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def wheel_metadata(wheel_path):
    """The wheel's METADATA (core metadata, RFC 822 style) as an email.message.Message."""
    with zipfile.ZipFile(wheel_path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


@pytest.fixture(scope="module")
def sdist_names(tmp_path_factory):
    src = _package_sources(tmp_path_factory)
    out = tmp_path_factory.mktemp("sdist")
    script = "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])"
    result = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, cwd=src
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (sdist,) = out.glob("django_signed_api-*.tar.gz")
    with tarfile.open(sdist) as archive:
        return [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]


@pytest.mark.parametrize("pattern", EXPECTED_IN_WHEEL)
def test_wheel_contains(wheel_names, pattern):
    assert fnmatch.filter(wheel_names, pattern), f"{pattern} missing from the wheel"


@pytest.mark.parametrize("pattern", FORBIDDEN_IN_WHEEL)
def test_wheel_leaves_out(wheel_names, pattern):
    assert not fnmatch.filter(wheel_names, pattern)


# -- metadata a user (and PyPI) reads --------------------------------------------------------


def test_license_file_is_the_declared_bsd_3_clause():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "The django-signed-api authors" in text
    assert "Neither the name of the copyright holder nor the names of its" in text


def test_wheel_declares_its_license_and_carries_the_file(wheel_metadata, wheel_names):
    assert wheel_metadata["License-Expression"] == "BSD-3-Clause"
    assert wheel_metadata.get_all("License-File") == ["LICENSE"]
    assert fnmatch.filter(wheel_names, "django_signed_api-*.dist-info/licenses/LICENSE")


def test_sdist_carries_the_license(sdist_names):
    assert "LICENSE" in sdist_names
    assert "pyproject.toml" in sdist_names
    assert "signed_api/py.typed" in sdist_names


def test_wheel_is_typed(wheel_names, wheel_metadata):
    assert "signed_api/py.typed" in wheel_names
    assert "Typing :: Typed" in wheel_metadata.get_all("Classifier")


def _requires_python_floor(metadata) -> tuple[int, int]:
    match = re.fullmatch(r">=\s*3\.(\d+)", metadata["Requires-Python"].strip())
    assert match, f"Requires-Python {metadata['Requires-Python']!r}: expected '>=3.N'"
    return 3, int(match.group(1))


def test_classifiers_name_every_supported_python_and_django(wheel_metadata):
    classifiers = set(wheel_metadata.get_all("Classifier"))
    floor = _requires_python_floor(wheel_metadata)
    pythons = {
        tuple(map(int, c.rsplit(" ", 1)[1].split(".")))
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    # Every minor version from the Requires-Python floor up to the newest one classified,
    # and nothing below the floor.
    assert min(pythons) == floor, (sorted(pythons), floor)
    assert pythons == {(3, minor) for minor in range(floor[1], max(pythons)[1] + 1)}
    assert (3, sys.version_info[1]) in pythons or sys.version_info[:2] > max(pythons)
    djangos = {c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Framework :: Django ::")}
    assert {"4.2", "5.2"} <= djangos
    requires = wheel_metadata.get_all("Requires-Dist")
    assert "django>=4.2" in requires  # the oldest classified Django is the floor
    assert min(djangos, key=lambda v: tuple(map(int, v.split(".")))) == "4.2"
    for classifier in (
        "Framework :: Django",
        "Operating System :: OS Independent",
        "Typing :: Typed",
    ):
        assert classifier in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)


def test_dependencies_pin_http_sf_and_keep_segno_optional(wheel_metadata):
    requires = wheel_metadata.get_all("Requires-Dist")
    assert "http-sf<2,>=1.5" in requires
    assert 'segno>=1.5; extra == "qr"' in requires
    assert not [r for r in requires if r.startswith("segno") and "extra ==" not in r]


PLACEHOLDER = re.compile(r"example\.(invalid|com|org|net)\b|\blocalhost\b|TODO|FIXME", re.I)


def test_no_placeholder_in_the_metadata(wheel_metadata):
    headers = [f"{key}: {value}" for key, value in wheel_metadata.items()]
    assert not [h for h in headers if PLACEHOLDER.search(h)]
    assert not wheel_metadata.get_all("Project-URL")  # none is better than a made-up one


@pytest.mark.parametrize("name", ["pyproject.toml", "mkdocs.yml", "SECURITY.md"])
def test_no_placeholder_url_in_the_repository_metadata(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "example.invalid" not in text
    assert not re.search(r"https?://(?:[\w-]+\.)*example\.\w+", text)


def test_security_policy_explains_private_reporting():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert "private" in text.lower()
    assert "advisor" in text.lower()  # GitHub's private vulnerability reporting
    # No made-up address: no e-mail address at all.
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
