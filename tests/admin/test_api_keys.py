"""The API-key admin: create, see the secret once, sign with it, rotate, revoke, extend, edit.

Requests are signed after admin changes, so these tests commit for real (``transaction=True``):
the after-commit publication that drops cached keys happens as it would in production.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.utils import timezone

from signed_api.models import ApiKey, SecurityEvent
from signed_api.test import SignedAPIClient
from tests import bad_keys
from tests.admin.support import (
    NOTES,
    add_api_key,
    assert_absent,
    body,
    html,
    run_action,
    shown_secrets,
    spellings,
    the_secret,
    url,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _signing(key: ApiKey, secret: bytes) -> SignedAPIClient:
    return SignedAPIClient(key_id=key.key_id, key=secret)


def _admin_events(action: str) -> list[SecurityEvent]:
    return [
        event
        for event in SecurityEvent.objects.filter(kind=SecurityEvent.ADMIN_ACTION)
        if event.detail.get("action") == action
    ]


def _public_pem() -> str:
    private = ed25519.Ed25519PrivateKey.generate()
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@pytest.fixture
def created(admin_client, user):
    """``(key, secret, response)`` of an hmac key made through the add form."""
    response = add_api_key(admin_client, user, name="laptop")
    assert response.status_code == 200
    text, secret = the_secret(response)
    key = ApiKey.objects.get(name="laptop")
    return key, secret, response


# -- creating --------------------------------------------------------------------------------------
def test_add_shows_the_secret_once_in_a_warning(admin_client, created):
    key, secret, response = created
    page = html(response)
    assert "messagelist" in page
    assert 'class="warning"' in page
    assert "shown this once" in page
    assert key.key_id in page
    assert key.status == "active"
    assert key.algorithm == "hmac-sha256"
    assert key.scopes == ["notes:read", "notes:write"]
    assert key.user.username == "alice"

    # Reloading any page shows it no more: not the change page, not the list, not the add form.
    for where in (url(ApiKey, "change", key.pk), url(ApiKey, "changelist"), url(ApiKey, "add"),
                  url(ApiKey, "history", key.pk)):
        again = admin_client.get(where)
        assert again.status_code == 200
        assert shown_secrets(again) == []
        assert_absent(html(again), [*spellings(secret), key.secret_encrypted, key.state_token],
                      where)


def test_the_shown_secret_signs_requests(created):
    key, secret, _ = created
    response = _signing(key, secret).get(NOTES)
    assert response.status_code == 200, response.content


def test_add_goes_through_the_service_and_the_audit_log(admin_client, admin_user, created):
    key, _, _ = created
    made = SecurityEvent.objects.get(kind=SecurityEvent.KEY_CREATED, key_id=key.key_id)
    assert made.detail["via"] == "admin"
    assert made.detail["by"] == admin_user.get_username()
    [action] = _admin_events("create_key")
    assert action.key_id == key.key_id
    assert action.detail["by"] == admin_user.get_username()


def test_add_public_key_registers_it_without_a_secret(admin_client, user):
    pem = _public_pem()
    response = add_api_key(admin_client, user, name="phone", algorithm="ed25519",
                           public_key=pem)
    assert response.status_code == 200
    assert shown_secrets(response) == []
    key = ApiKey.objects.get(name="phone")
    assert key.algorithm == "ed25519"
    assert key.public_key.strip() == pem.strip()
    assert key.secret_encrypted == ""


@pytest.mark.parametrize(
    ("algorithm", "public_key", "message"),
    [
        ("ed25519", "", "needs the client"),
        ("ecdsa-p256-sha256", "", "needs the client"),
        ("hmac-sha256", "PEM", "leave the public key empty"),
        ("ed25519", "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----", "valid"),
    ],
)
def test_add_refuses_a_public_key_mismatch(admin_client, user, algorithm, public_key, message):
    if public_key == "PEM":
        public_key = _public_pem()
    response = add_api_key(admin_client, user, algorithm=algorithm, public_key=public_key)
    assert response.status_code == 200
    assert message in html(response)
    assert not ApiKey.objects.exists()
    assert shown_secrets(response) == []


@pytest.mark.parametrize(
    ("algorithm", "public_key", "message"),
    [
        ("ed25519", bad_keys.pem(bad_keys.IDENTITY), "small order"),
        ("ed25519", bad_keys.pem(bad_keys.non_canonical_small_order_encodings()[0]),
         "not canonically encoded"),
        ("ed25519", bad_keys.pem(bad_keys.off_curve()), "not on the Ed25519 curve"),
        ("ed25519", "MIXED", "prime-order subgroup"),
        ("ed25519", bad_keys.unknown_algorithm_pem(), "unsupported algorithm"),
        ("ecdsa-p256-sha256", bad_keys.unknown_algorithm_pem(), "unsupported algorithm"),
    ],
    ids=["identity", "non-canonical", "off-curve", "mixed-order", "unknown-algorithm",
         "unknown-algorithm-p256"],
)
def test_add_refuses_a_public_key_nobody_may_sign_for(admin_client, user, algorithm, public_key,
                                                      message):
    """The add form goes through ``ApiKey.set_public_key`` like every other way in: a point of
    small order (with which anyone could sign) or a PEM of an unknown algorithm is a form error,
    not a key and not a 500."""
    if public_key == "MIXED":
        private = ed25519.Ed25519PrivateKey.generate()
        public_key = bad_keys.pem(bad_keys.mixed_order(bad_keys.raw_public_key(private)))
    response = add_api_key(admin_client, user, algorithm=algorithm, public_key=public_key)
    assert response.status_code == 200
    assert message in html(response)
    assert not ApiKey.objects.exists()


def test_add_without_scopes_gives_the_default_scopes(admin_client, user, settings):
    settings.SIGNED_API = {**settings.SIGNED_API, "DEFAULT_KEY_SCOPES": ["notes:read"]}
    response = add_api_key(admin_client, user, name="defaults", scopes="")
    assert response.status_code == 200
    assert ApiKey.objects.get(name="defaults").scopes == ["notes:read"]
    assert "notes:read" in html(admin_client.get(url(ApiKey, "add")))


def test_add_refuses_a_bad_scope(admin_client, user):
    response = add_api_key(admin_client, user, scopes="notes:read " + "x" * 65)
    assert "not a scope" in html(response)
    assert not ApiKey.objects.exists()


def test_add_with_an_expiry(admin_client, user):
    when = timezone.now() + timedelta(days=3)
    response = add_api_key(admin_client, user, name="temp",
                           expires=(when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S")))
    assert response.status_code == 200
    key = ApiKey.objects.get(name="temp")
    assert abs((key.expires_at - when).total_seconds()) < 1


# -- the list ----------------------------------------------------------------------------------
def test_changelist_columns_filters_and_search(admin_client, user, django_user_model):
    other = django_user_model.objects.create_user("bob", password="x")
    active, _ = ApiKey.objects.create_key(user, name="one")
    revoked, _ = ApiKey.objects.create_key(other, name="two")
    revoked.revoke()
    page = html(admin_client.get(url(ApiKey, "changelist")))
    for heading in ("Key id", "Owner", "Name", "Algorithm", "Status", "Created", "Last used",
                    "Expires"):
        assert heading in page
    assert active.key_id in page and revoked.key_id in page

    only_revoked = html(admin_client.get(url(ApiKey, "changelist") + "?status=revoked"))
    assert revoked.key_id in only_revoked and active.key_id not in only_revoked
    only_active = html(admin_client.get(url(ApiKey, "changelist") + "?status=active"))
    assert active.key_id in only_active and revoked.key_id not in only_active
    by_owner = html(admin_client.get(url(ApiKey, "changelist") + "?q=bob"))
    assert revoked.key_id in by_owner and active.key_id not in by_owner
    by_id = html(admin_client.get(url(ApiKey, "changelist") + f"?q={active.key_id}"))
    assert active.key_id in by_id and revoked.key_id not in by_id
    hmac_only = html(admin_client.get(url(ApiKey, "changelist") + "?algorithm=ed25519"))
    assert active.key_id not in hmac_only


# -- rotating ------------------------------------------------------------------------------------
def test_rotate_shows_the_new_secret_once_and_keeps_the_old_one_working(
    admin_client, admin_user, created
):
    key, old_secret, _ = created
    assert _signing(key, old_secret).get(NOTES).status_code == 200  # cached now

    response = run_action(admin_client, ApiKey, "rotate_keys", [key])
    assert response.status_code == 200
    _, new_secret = the_secret(response)
    assert new_secret != old_secret
    assert "keeps working until" in html(response)

    key.refresh_from_db()
    assert key.status == "rotating"
    assert _signing(key, new_secret).get(NOTES).status_code == 200
    assert _signing(key, old_secret).get(NOTES).status_code == 200  # the overlap

    for where in (url(ApiKey, "changelist"), url(ApiKey, "change", key.pk)):
        page = html(admin_client.get(where))
        assert shown_secrets(admin_client.get(where)) == []
        assert_absent(page, [*spellings(new_secret), *spellings(old_secret),
                             key.secret_encrypted, key.previous_secret_encrypted], where)
    assert "rotating" in html(admin_client.get(url(ApiKey, "changelist")))
    rotated = SecurityEvent.objects.get(kind=SecurityEvent.KEY_ROTATED, key_id=key.key_id)
    assert rotated.detail["via"] == "admin"
    [action] = _admin_events("rotate_key")
    assert action.key_id == key.key_id and action.detail["by"] == admin_user.get_username()


def test_rotate_public_key_keys_says_it_needs_a_new_public_key(admin_client, user):
    key, _ = ApiKey.objects.create_key(user, algorithm="ed25519", public_key=_public_pem())
    before = key.public_key
    response = run_action(admin_client, ApiKey, "rotate_keys", [key])
    page = html(response)
    assert "new public key" in page
    assert shown_secrets(response) == []
    key.refresh_from_db()
    assert key.public_key == before and key.status == "active"
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.KEY_ROTATED).exists()


# -- revoking ----------------------------------------------------------------------------------
def test_revoke_asks_first_then_refuses_the_key_and_locks_the_page(
    admin_client, admin_user, created
):
    key, secret, _ = created
    signer = _signing(key, secret)
    assert signer.get(NOTES).status_code == 200  # cached now

    confirmation = run_action(admin_client, ApiKey, "revoke_keys", [key])
    assert confirmation.status_code == 200
    assert "Yes, revoke" in html(confirmation)
    assert key.key_id in html(confirmation)
    key.refresh_from_db()
    assert key.revoked_at is None

    done = run_action(admin_client, ApiKey, "revoke_keys", [key], confirm=True)
    assert "Revoked 1 key" in html(done)
    key.refresh_from_db()
    assert key.status == "revoked"

    refused = signer.get(NOTES)
    assert refused.status_code == 401
    assert body(refused)["code"] == "key_revoked"

    change_url = url(ApiKey, "change", key.pk)
    page = html(admin_client.get(change_url))
    assert 'name="name"' not in page and 'name="scopes"' not in page
    assert 'name="_save"' not in page
    assert "notes:read notes:write" in page  # shown, read only
    posted = admin_client.post(change_url, {"name": "again", "scopes": "", "_save": "Save"})
    assert posted.status_code == 403
    key.refresh_from_db()
    assert key.name == "laptop" and key.status == "revoked"

    # The actions refuse it too.
    again = run_action(admin_client, ApiKey, "rotate_keys", [key])
    assert "revoked and cannot be rotated" in html(again)
    extended = run_action(admin_client, ApiKey, "extend_expiry", [key])
    assert "its expiry cannot change" in html(extended)
    assert _signing(key, secret).get(NOTES).status_code == 401

    [action] = _admin_events("revoke_key")
    assert action.detail["by"] == admin_user.get_username()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.KEY_REVOKED,
                                        key_id=key.key_id).count() == 1


def test_revoke_twice_counts_once(admin_client, user):
    key, _ = ApiKey.objects.create_key(user)
    run_action(admin_client, ApiKey, "revoke_keys", [key], confirm=True)
    response = run_action(admin_client, ApiKey, "revoke_keys", [key], confirm=True)
    assert "revoked already" in html(response)
    assert len(_admin_events("revoke_key")) == 1


# -- expiry and editing --------------------------------------------------------------------------
def test_extend_expiry_by_30_days(admin_client, user):
    soon = timezone.now() + timedelta(days=2)
    expiring, _ = ApiKey.objects.create_key(user, name="expiring", expires_at=soon)
    expired, secret = ApiKey.objects.create_key(
        user, name="expired", expires_at=timezone.now() - timedelta(days=1)
    )
    forever, _ = ApiKey.objects.create_key(user, name="forever")
    expired.scopes = ["notes:read"]
    expired.save()
    assert _signing(expired, secret).get(NOTES).status_code == 401

    response = run_action(admin_client, ApiKey, "extend_expiry", [expiring, expired, forever])
    page = html(response)
    assert "never expires" in page

    expiring.refresh_from_db()
    expired.refresh_from_db()
    forever.refresh_from_db()
    assert expiring.expires_at == soon + timedelta(days=30)
    assert expired.expires_at > timezone.now() + timedelta(days=29)
    assert forever.expires_at is None
    assert _signing(expired, secret).get(NOTES).status_code == 200
    assert len(_admin_events("extend_expiry")) == 2
    assert SecurityEvent.objects.filter(kind=SecurityEvent.KEY_EXPIRY_CHANGED).count() == 2


def test_change_page_edits_name_scopes_and_expiry_while_active(admin_client, user):
    key, secret = ApiKey.objects.create_key(user, name="old", scopes=[])
    change_url = url(ApiKey, "change", key.pk)
    page = html(admin_client.get(change_url))
    assert 'name="name"' in page and 'name="scopes"' in page and 'name="expires_at_0"' in page
    assert 'name="user"' not in page and 'name="algorithm"' not in page
    assert_absent(page, [*spellings(secret), key.secret_encrypted, key.state_token], change_url)

    when = timezone.now() + timedelta(days=5)
    response = admin_client.post(change_url, {
        "name": "new",
        "scopes": "notes:read, notes:write",
        "expires_at_0": when.strftime("%Y-%m-%d"),
        "expires_at_1": when.strftime("%H:%M:%S"),
        "_save": "Save",
    }, follow=True)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.name == "new"
    assert key.scopes == ["notes:read", "notes:write"]
    assert abs((key.expires_at - when).total_seconds()) < 1
    assert _signing(key, secret).get(NOTES).status_code == 200
    [action] = _admin_events("change_key")
    assert set(action.detail["fields"]) == {"name", "scopes", "expires_at"}
    assert SecurityEvent.objects.filter(kind=SecurityEvent.KEY_EXPIRY_CHANGED,
                                        key_id=key.key_id).exists()


def test_scopes_removed_in_the_admin_apply_at_once(admin_client, user):
    key, secret = ApiKey.objects.create_key(user, name="k")
    key.scopes = ["notes:read", "notes:write"]
    key.save()
    signer = _signing(key, secret)
    assert signer.get(NOTES).status_code == 200
    admin_client.post(url(ApiKey, "change", key.pk),
                      {"name": "k", "scopes": "", "expires_at_0": "", "expires_at_1": "",
                       "_save": "Save"})
    key.refresh_from_db()
    assert key.scopes == []
    refused = signer.get(NOTES)  # the cached copy of the key is dropped at once
    assert refused.status_code == 403
    assert body(refused)["code"] == "scope_missing"


def test_deleting_a_key_revokes_it_first(admin_client, created):
    key, secret, _ = created
    response = admin_client.post(url(ApiKey, "delete", key.pk), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not ApiKey.objects.filter(pk=key.pk).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.KEY_REVOKED,
                                        key_id=key.key_id).exists()
    assert _signing(key, secret).get(NOTES).status_code == 401


# -- new secrets: a page of their own, never Django's message storage -----------------------------
# Found by an attack review: with Django's default MESSAGE_STORAGE (FallbackStorage), the "shown
# once" messages that did not fit in its 2 kB cookie were written to the session, a row of
# django_session (signed, not encrypted): rotating 40 keys at once put about half of the new
# secrets in the database.
def _session_rows() -> str:
    from django.contrib.sessions.models import Session as DjangoSession

    return " ".join(str(s.get_decoded()) for s in DjangoSession.objects.all())


def test_the_secrets_of_a_rotation_never_reach_the_session_table_nor_the_cookie_in_clear(
    admin_client, user
):
    from signed_api.admin.base import MAX_NEW_SECRETS, SECRETS_COOKIE
    from signed_api.client import decode_secret

    keys = [ApiKey.objects.create_key(user, name=f"k{i}")[0] for i in range(MAX_NEW_SECRETS)]
    posted = admin_client.post(
        url(ApiKey, "changelist"),
        {"action": "rotate_keys", "_selected_action": [str(k.pk) for k in keys], "index": "0"},
    )
    assert posted.status_code == 302
    assert posted["Location"].endswith("/admin/signed_api/apikey/new-secrets/")
    cookie = posted.cookies[SECRETS_COOKIE]
    # A browser keeps a cookie of at most 4096 bytes (name, value and attributes): a full page
    # of secrets must fit, or they would be lost with the keys already rotated.
    assert len(cookie.OutputString()) < 3800, len(cookie.OutputString())
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/admin/signed_api/apikey/new-secrets/"
    between = _session_rows() + " " + cookie.value  # what was stored before the page showed

    shown = admin_client.get(posted["Location"])
    assert shown["Cache-Control"] == "no-store" or "no-store" in shown["Cache-Control"]
    import re

    pairs = re.findall(r"API key (key_[\w-]+) rotated.*?signed-api-secret\">([\w-]+)<", html(shown))
    assert sorted(k for k, _ in pairs) == sorted(k.key_id for k in keys)
    secrets = [decode_secret(text) for _, text in pairs]
    by_id = {k.key_id: k for k in keys}
    for key_id, text in pairs:
        assert _signing(by_id[key_id], decode_secret(text)).get(NOTES).status_code == 200
    for secret in secrets:
        assert_absent(between, spellings(secret), "the session table or the cookie")
    assert "signed-api-secret" not in _session_rows()
    assert shown_secrets(admin_client.get(posted["Location"])) == []  # shown once: now gone


def test_more_keys_than_a_page_of_secrets_holds_are_refused_and_nothing_rotates(
    admin_client, user
):
    from signed_api.admin.base import MAX_NEW_SECRETS

    keys = [ApiKey.objects.create_key(user, name=f"k{i}")[0] for i in range(MAX_NEW_SECRETS + 1)]
    before = {k.pk: k.secret_encrypted for k in keys}
    response = run_action(admin_client, ApiKey, "rotate_keys", keys)
    assert "at most" in html(response)
    assert shown_secrets(response) == []
    assert {k.pk: k.secret_encrypted for k in ApiKey.objects.filter(pk__in=before)} == before


def test_the_secrets_cookie_of_another_admin_or_a_forged_one_shows_nothing(
    admin_client, user, django_user_model
):
    from django.test import Client

    from signed_api.admin.base import SECRETS_COOKIE

    key = ApiKey.objects.create_key(user, name="k")[0]
    posted = admin_client.post(
        url(ApiKey, "changelist"),
        {"action": "rotate_keys", "_selected_action": [str(key.pk)], "index": "0"},
    )
    token = posted.cookies[SECRETS_COOKIE].value
    other = django_user_model.objects.create_superuser("other", "o@example.invalid", "pw-other")
    thief = Client()
    thief.force_login(other)
    thief.cookies[SECRETS_COOKIE] = token  # bound to the admin it was made for
    assert shown_secrets(thief.get(posted["Location"])) == []
    thief.cookies[SECRETS_COOKIE] = token[:-4] + "AAAA"
    assert shown_secrets(thief.get(posted["Location"])) == []


def test_a_double_submitted_rotation_keeps_the_secret_the_clients_hold(admin_client, user):
    """A double click on "Go" posted the rotation twice: the second moved the first rotation's
    secret, which nobody had, into the overlap, and the secret every client held was refused at
    once."""
    key, deployed = ApiKey.objects.create_key(user, name="fleet")
    run_action(admin_client, ApiKey, "rotate_keys", [key])
    second = run_action(admin_client, ApiKey, "rotate_keys", [key])
    [shown] = shown_secrets(second)
    key.refresh_from_db()
    assert key.status == "rotating"
    assert _signing(key, deployed).get(NOTES).status_code == 200
    from signed_api.client import decode_secret

    assert _signing(key, decode_secret(shown)).get(NOTES).status_code == 200


# -- staff who are not superusers ---------------------------------------------------------------
@pytest.fixture
def key_clerk(django_user_model):
    """Staff with every API-key permission, not a superuser (no second factor: the login
    tests cover that)."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    clerk = django_user_model.objects.create_user("clerk", password="clerk-pw", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="signed_api",
                                                         codename__endswith="apikey"))
    client = Client()
    client.force_login(clerk)
    return clerk, client


def test_a_staff_user_who_is_no_superuser_cannot_get_a_superusers_key(
    key_clerk, django_user_model, user
):
    """It rotated root's key in the admin, got the new secret and signed requests as root (found
    by an attack review)."""
    clerk, client = key_clerk
    root = django_user_model.objects.create_superuser("root", "r@example.invalid", "root-pw")
    roots, held = ApiKey.objects.create_key(root, name="root's")
    before = ApiKey.objects.get(pk=roots.pk).secret_encrypted

    rotated = run_action(client, ApiKey, "rotate_keys", [roots])
    assert shown_secrets(rotated) == []
    assert "Only a superuser" in html(rotated)
    assert ApiKey.objects.get(pk=roots.pk).secret_encrypted == before
    added = add_api_key(client, root, name="mine now")
    assert shown_secrets(added) == [] and "Only a superuser" in html(added)
    assert not ApiKey.objects.filter(name="mine now").exists()
    assert client.post(url(ApiKey, "change", roots.pk), {"name": "x"}).status_code == 403
    # An ordinary user's keys, and the clerk's own, stay the clerk's to manage.
    mine = add_api_key(client, user, name="alice's")
    assert len(shown_secrets(mine)) == 1
    assert len(shown_secrets(add_api_key(client, clerk, name="clerk's"))) == 1
    assert _signing(roots, held).get(NOTES).status_code == 200


@pytest.mark.parametrize(
    "lookup", ["secret_encrypted__startswith", "previous_secret_encrypted", "user__password"]
)
def test_the_changelist_does_not_filter_on_a_secret_column(admin_client, user, lookup):
    ApiKey.objects.create_key(user, name="k")
    response = admin_client.get(url(ApiKey, "changelist") + f"?{lookup}=v1")
    assert response.status_code == 400  # Django's DisallowedModelAdminLookup


@pytest.mark.parametrize("session_cookie_secure", [False, True])
def test_the_secrets_cookie_is_secure_whenever_the_session_cookie_is(
    admin_client, user, settings, session_cookie_secure
):
    """A proxy in front that ends TLS (no SECURE_PROXY_SSL_HEADER): the request reads as plain
    HTTP, yet the project marks its session cookie Secure; the secrets cookie follows it."""
    from signed_api.admin.base import SECRETS_COOKIE

    settings.SESSION_COOKIE_SECURE = session_cookie_secure
    key = ApiKey.objects.create_key(user, name="k")[0]
    posted = admin_client.post(
        url(ApiKey, "changelist"),
        {"action": "rotate_keys", "_selected_action": [str(key.pk)], "index": "0"},
    )
    assert bool(posted.cookies[SECRETS_COOKIE]["secure"]) is session_cookie_secure
