"""The example project's SECRET_KEY when DJANGO_SECRET_KEY is unset (make demo): random per
checkout, kept in var/secret_key, the same for every process of the checkout.

It was a constant in the settings: every demo had the same server signing key (its JWKS kid was
the README's), gateway key and key of secrets at rest (found by an outside review)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from example_project.local_secret import local_secret_key

REPO = Path(__file__).resolve().parents[2]


def test_a_new_key_is_random_kept_private_and_read_back(tmp_path):
    path = tmp_path / "var" / "secret_key"
    first = local_secret_key(path)
    assert len(first) >= 60
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret_key(path) == first
    assert local_secret_key(tmp_path / "other" / "secret_key") != first


def test_processes_starting_together_agree_on_one_key(tmp_path):
    path = tmp_path / "var" / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: local_secret_key(path), range(32)))
    assert len(keys) == 1
    assert not [p for p in path.parent.iterdir() if p.name != "secret_key"]  # no temporary left


def test_two_checkouts_get_two_server_keys(tmp_path):
    """The example settings in two copies of the project: two different JWKS kids."""
    code = (
        "import django; django.setup(); "
        "from signed_api.response_signing import jwks; print(jwks()['keys'][0]['kid'])"
    )
    kids = []
    for name in ("one", "two"):
        checkout = tmp_path / name
        shutil.copytree(REPO / "example_project", checkout / "example_project",
                        ignore=shutil.ignore_patterns("__pycache__"))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SIGNED_API_"))}
        env.update(DJANGO_SETTINGS_MODULE="example_project.settings",
                   PYTHONPATH=f"{checkout}{os.pathsep}{REPO}")
        result = subprocess.run([sys.executable, "-c", code], cwd=checkout, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        kids.append(result.stdout.strip().splitlines()[-1])
        assert (checkout / "var" / "secret_key").exists()
    assert kids[0] != kids[1]
    assert "srv_b094353ad93c1f2e" not in kids  # the constant's
