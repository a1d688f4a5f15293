"""``AdminConfig.default_site = "signed_api.admin_login.SecondFactorAdminSite"`` works (as
docs/admin-and-rotation.md says), and the model admins are registered on that site.

Django imports the default site's class while it builds ``admin.site``; if that import pulled in
``signed_api.admin`` (which registers the model admins on ``admin.site``), building the site
would fail. That is why the login lives in ``signed_api/admin_login.py``, outside the package.
Run in a fresh interpreter: the site is built once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APPS = '''
from django.contrib.admin.apps import AdminConfig


class SecondFactorAdminConfig(AdminConfig):
    default_site = "signed_api.admin_login.SecondFactorAdminSite"
'''

SETTINGS = '''
from tests.settings import *  # noqa: F403

INSTALLED_APPS = [  # noqa: F405
    "project_apps.SecondFactorAdminConfig" if app == "django.contrib.admin" else app
    for app in INSTALLED_APPS  # noqa: F405
]
'''

PROBE = '''
import django
django.setup()
from django.contrib import admin
from signed_api.admin_login import SecondFactorAdminSite
assert type(admin.site._wrapped) is SecondFactorAdminSite, type(admin.site._wrapped)
print(sorted(m.__name__ for m in admin.site._registry if m._meta.app_label == "signed_api"))
'''


def test_the_second_factor_site_can_be_the_default_site(tmp_path):
    (tmp_path / "project_apps.py").write_text(APPS, encoding="utf-8")
    (tmp_path / "project_settings.py").write_text(SETTINGS, encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project_settings",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[0] == str(sorted([
        "ApiKey", "EnrollmentKey", "RememberFamily", "SecurityEvent", "Session", "TOTPDevice",
    ]))
