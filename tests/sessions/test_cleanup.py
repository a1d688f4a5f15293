"""``manage.py signed_api_cleanup``: deletes what can never be used again, keeps the rest."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from signed_api.models import LoginChallenge, RememberFamily, RememberToken, Session
from tests.accounts import OTHER_PASSWORD, PASSWORD

from .support import NOTES, body, enrol, login, post_login, session_client

pytestmark = pytest.mark.django_db(transaction=True)


def _ago(seconds: int = 1):
    return timezone.now() - timedelta(seconds=seconds)


def _family_of(session: dict) -> RememberFamily:
    return Session.objects.get(key_id=session["id"]).remember_family


def cleanup() -> str:
    out = StringIO()
    call_command("signed_api_cleanup", stdout=out)
    return out.getvalue()


def test_cleanup_deletes_dead_sessions_and_keeps_live_ones(user, other_user):
    live = login("alice", PASSWORD)
    bobs = login("bob", OTHER_PASSWORD)
    revoked = login("alice", PASSWORD)
    idle = login("alice", PASSWORD)
    expired = login("alice", PASSWORD)
    assert session_client(revoked).delete(f"/api/auth/sessions/{revoked['id']}/").status_code == 204
    Session.objects.filter(key_id=idle["id"]).update(idle_expires_at=_ago())
    Session.objects.filter(key_id=expired["id"]).update(expires_at=_ago())

    output = cleanup()

    assert set(Session.objects.values_list("key_id", flat=True)) == {live["id"], bobs["id"]}
    assert "3 session" in output
    assert session_client(live).get(NOTES).status_code == 200
    assert session_client(bobs).get(NOTES).status_code == 200


def test_cleanup_deletes_expired_challenges_and_keeps_pending_ones(user):
    enrol(session_client(login("alice", PASSWORD)))
    pending = [body(post_login(username="alice", password=PASSWORD)) for _ in range(3)]
    assert LoginChallenge.objects.count() == 3
    LoginChallenge.objects.filter(
        pk__in=LoginChallenge.objects.order_by("pk").values_list("pk", flat=True)[:2]
    ).update(expires_at=_ago())

    output = cleanup()

    assert LoginChallenge.objects.count() == 1
    assert LoginChallenge.objects.get().expires_at > timezone.now()
    assert "2 challenge" in output
    assert len(pending) == 3


def test_cleanup_deletes_ended_remember_families_with_their_tokens(user):
    live = login("alice", PASSWORD, remember=True)
    rotated = body(post_login(remember_token=live["remember_token"]))
    expired = login("alice", PASSWORD, remember=True)
    revoked = login("alice", PASSWORD, remember=True)
    live_family, expired_family, revoked_family = (
        _family_of(live), _family_of(expired), _family_of(revoked)
    )
    RememberFamily.objects.filter(pk=expired_family.pk).update(expires_at=_ago())
    RememberFamily.objects.filter(pk=revoked_family.pk).update(
        revoked_at=_ago(), revoked_reason="test"
    )
    # Their sessions have ended too (a family whose sessions live is kept, see below).
    Session.objects.filter(remember_family__in=[expired_family, revoked_family]).update(
        revoked_at=_ago()
    )

    output = cleanup()

    assert set(RememberFamily.objects.values_list("pk", flat=True)) == {live_family.pk}
    assert set(RememberToken.objects.values_list("family_id", flat=True)) == {live_family.pk}
    assert RememberToken.objects.count() == 2
    assert "2 remember-me famil" in output
    assert post_login(remember_token=rotated["remember_token"]).status_code == 201


def test_a_revoked_family_whose_sessions_still_live_is_kept(user):
    """So that a theft found later can still reach every session the family produced."""
    data = login("alice", PASSWORD, remember=True)
    family = _family_of(data)
    RememberFamily.objects.filter(pk=family.pk).update(revoked_at=_ago(), revoked_reason="x")

    cleanup()

    assert RememberFamily.objects.filter(pk=family.pk).exists()
    assert Session.objects.get(key_id=data["id"]).remember_family_id == family.pk


def test_cleanup_on_a_clean_database_deletes_nothing_and_is_repeatable(user):
    data = login("alice", PASSWORD, remember=True)
    for _ in range(2):
        output = cleanup()
        assert "deleted 0 session(s), 0 challenge(s), 0 remember-me famil" in output
    assert Session.objects.filter(key_id=data["id"]).exists()
    assert RememberFamily.objects.count() == 1


@pytest.mark.parametrize("args", [["--batch", "0"], ["--batch", str(10**30)]])
def test_cleanup_refuses_a_batch_out_of_range(args):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--batch"):
        call_command("signed_api_cleanup", *args, stdout=StringIO())


def test_cleanup_refuses_a_retention_no_date_can_hold(settings):
    from django.core.management import CommandError

    settings.SIGNED_API = {**settings.SIGNED_API, "EVENT_RETENTION_DAYS": 800_000}
    with pytest.raises(CommandError, match="EVENT_RETENTION_DAYS"):
        call_command("signed_api_cleanup", stdout=StringIO())


def test_cleanup_deletes_dead_sessions_in_batches(user):
    """One delete of them all held every row in memory and one long transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from signed_api.models import Session

    for _ in range(7):
        ended = login("alice", PASSWORD)
        Session.objects.filter(key_id=ended["id"]).update(revoked_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        call_command("signed_api_cleanup", "--batch", "3", stdout=StringIO())
    assert not Session.objects.exists()
    picks = [
        q["sql"] for q in queries if "LIMIT 3" in q["sql"] and "signed_api_session" in q["sql"]
    ]
    assert len(picks) == 3  # 3 + 3 + 1
