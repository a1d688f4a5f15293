"""``manage.py signed_api_demo`` (example_project/notes), what ``make demo`` runs before it serves:
the demo user once, a fresh demo key every run, and what to try, with the password only on the
run that created the user."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from signed_api.models import ApiKey

pytestmark = pytest.mark.django_db

PASSWORD = re.compile(r"^Demo user: demo  \(password, shown once: (\S+)\)$", re.M)
KEY_ID = re.compile(r"export SIGNED_API_KEY_ID=(\S+)")


def demo(*args: str) -> str:
    out = StringIO()
    call_command("signed_api_demo", *args, stdout=out)
    return out.getvalue()


def test_the_first_run_prints_the_password_and_points_the_browser_at_it():
    out = demo()
    password = PASSWORD.search(out)[1]
    assert get_user_model().objects.get(username="demo").check_password(password)
    assert "log in as demo with\nthe password above." in out
    assert "changepassword" not in out


def test_a_later_run_prints_no_password_and_does_not_say_above():
    first = demo()
    out = demo()
    assert PASSWORD.search(out) is None
    assert re.search(r"^Demo user: demo$", out, re.M)
    assert "above" not in out
    assert "its password. It was shown once, when the user was created" in out
    assert "\n  .venv/bin/python manage.py changepassword demo\n" in out
    # The user stays as it was; the key is a new one, and the previous one is revoked.
    user = get_user_model().objects.get(username="demo")
    assert user.check_password(PASSWORD.search(first)[1])
    old, new = KEY_ID.search(first)[1], KEY_ID.search(out)[1]
    assert old != new
    assert ApiKey.objects.get(key_id=old).revoked_at is not None
    assert ApiKey.objects.get(key_id=new).revoked_at is None


def test_the_commands_it_prints_use_the_base_url():
    # make demo passes --base-url http://$(DEMO_ADDR), the address runserver listens on.
    out = demo("--base-url", "http://127.0.0.1:8765/")
    assert "http://127.0.0.1:8000" not in out
    assert "signed_api.client GET http://127.0.0.1:8765/api/notes/ --replay" in out
    assert "open http://127.0.0.1:8765/demo/ " in out


def test_each_run_writes_the_audit_events_of_the_keys_it_creates_and_revokes():
    """It called the model directly: a key made and the previous one revoked, with no event."""
    from signed_api.models import SecurityEvent

    call_command("signed_api_demo", stdout=StringIO())
    call_command("signed_api_demo", stdout=StringIO())
    kinds = list(SecurityEvent.objects.filter(user__username="demo").values_list("kind", flat=True))
    assert kinds.count(SecurityEvent.KEY_CREATED) == 2, kinds
    assert kinds.count(SecurityEvent.KEY_REVOKED) == 1, kinds


def test_it_makes_no_key_for_a_demo_user_who_is_staff():
    from django.core.management import CommandError

    get_user_model().objects.create_user("demo", is_staff=True)
    with pytest.raises(CommandError, match="staff"):
        call_command("signed_api_demo", stdout=StringIO())
    assert not ApiKey.objects.exists()
