"""System checks with stable ids (docs/settings.md): misconfiguration is reported, never a crash."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

GOOD_MASTER_KEY = base64.urlsafe_b64encode(b"k" * 32).rstrip(b"=").decode()
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DJANGO_REDIS = "django_redis.cache.RedisCache"


def signed_api_ids(*, deploy: bool = False) -> list[str]:
    # Only the security-tagged checks (ours): Django 6's model checks would query the database.
    return [m.id for m in run_checks(tags=["security"], include_deployment_checks=deploy)
            if m.id and m.id.startswith("signed_api.")]


def _signed_api(**values) -> dict:
    return dict(values)


def _caches(nonces: dict) -> dict:
    return {**django_settings.CACHES, "nonces": nonces}


# -- the shared store: E008, E010-E012, W001, W007, W008 ----------------------------------------

NOT_A_NONCE_STORE = [
    LOCMEM,
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
]


@pytest.mark.parametrize("backend", NOT_A_NONCE_STORE)
def test_e008_a_cache_that_forgets_is_an_error_and_fails_closed(backend):
    """locmem, database and file caches cull at MAX_ENTRIES, memcached evicts, a DummyCache
    keeps nothing: none is a nonce store. Refused by a check, and by the store at run time."""
    from signed_api.stores import StoreUnavailable, get_store

    config = {"BACKEND": backend, "LOCATION": "/tmp/signed-api-e008" if "file" in backend
              else "signed_api_e008" if "db" in backend else ""}
    with override_settings(CACHES=_caches(config), SIGNED_API=_signed_api(NONCE_CACHE="nonces")):
        assert "signed_api.E008" in signed_api_ids()
        with pytest.raises(StoreUnavailable):
            get_store().add("signed_api:nonce:x", 600)


@pytest.mark.parametrize("backend", [DJANGO_REDIS, "django.core.cache.backends.redis.RedisCache"])
def test_redis_backends_are_nonce_stores(backend):
    config = {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES=_caches(config), SIGNED_API=_signed_api(NONCE_CACHE="nonces")):
        ids = signed_api_ids()
    assert "signed_api.E008" not in ids
    assert "signed_api.E004" not in ids


def test_the_default_store_is_the_database_table_and_passes_the_checks():
    from signed_api.stores import get_store
    from signed_api.stores.database import DatabaseStore

    with override_settings(SIGNED_API={}):
        ids = signed_api_ids()
        assert isinstance(get_store(), DatabaseStore)
    assert not [i for i in ids if i in ("signed_api.E008", "signed_api.E010", "signed_api.W001")]


def test_e010_the_per_process_store_needs_the_explicit_test_opt_in():
    from signed_api.stores import StoreUnavailable, get_store

    memory = "signed_api.stores.memory.MemoryStore"
    with override_settings(SIGNED_API={"STORE": memory}):
        ids = signed_api_ids()
        with pytest.raises(StoreUnavailable):
            get_store().add("signed_api:nonce:x", 600)
    assert "signed_api.E010" in ids
    with override_settings(SIGNED_API={"STORE": memory, "ALLOW_PROCESS_LOCAL_STORE": True}):
        ids = signed_api_ids()
        assert get_store().add("signed_api:nonce:x", 600) is True
        assert get_store().add("signed_api:nonce:x", 600) is False
    assert "signed_api.E010" not in ids
    assert "signed_api.W001" in ids


def test_e011_store_that_cannot_be_imported():
    from signed_api.stores import StoreUnavailable, get_store

    with override_settings(SIGNED_API={"STORE": "no.such.Store"}):
        assert "signed_api.E011" in signed_api_ids()
        with pytest.raises(StoreUnavailable):
            get_store().incr("signed_api:fail:x", 60)


def test_e012_store_database_alias_missing():
    with override_settings(SIGNED_API={"STORE_DATABASE": "nowhere"}):
        assert "signed_api.E012" in signed_api_ids()


def test_e013_the_store_table_needs_sqlite_or_postgresql(monkeypatch):
    with override_settings(SIGNED_API={}):
        assert "signed_api.E013" not in signed_api_ids()
        monkeypatch.setitem(django_settings.DATABASES["default"], "ENGINE",
                            "django.db.backends.mysql")
        assert "signed_api.E013" in signed_api_ids()
    with override_settings(SIGNED_API={"NONCE_CACHE": "nonces"},
                           CACHES=_caches({"BACKEND": DJANGO_REDIS,
                                           "LOCATION": "redis://127.0.0.1:1/0"})):
        assert "signed_api.E013" not in signed_api_ids()  # Redis needs no table


def test_w008_atomic_requests_on_the_store_database(monkeypatch):
    with override_settings(SIGNED_API={}):
        assert "signed_api.W008" not in signed_api_ids()
        # (setting the item, not overriding DATABASES, which Django warns against)
        monkeypatch.setitem(django_settings.DATABASES["default"], "ATOMIC_REQUESTS", True)
        assert "signed_api.W008" in signed_api_ids()


def test_w007_redis_that_may_evict(redis_url):
    """A real Redis under allkeys-lru would drop nonces when full: warned; noeviction is not."""
    import redis

    client = redis.Redis.from_url(redis_url)
    before = client.config_get("maxmemory-policy")["maxmemory-policy"]
    config = {"BACKEND": DJANGO_REDIS, "LOCATION": redis_url}
    try:
        client.config_set("maxmemory-policy", "allkeys-lru")
        with override_settings(CACHES=_caches(config), SIGNED_API={"NONCE_CACHE": "nonces"}):
            assert "signed_api.W007" in signed_api_ids()
        client.config_set("maxmemory-policy", "noeviction")
        with override_settings(CACHES=_caches(config), SIGNED_API={"NONCE_CACHE": "nonces"}):
            assert "signed_api.W007" not in signed_api_ids()
    finally:
        client.config_set("maxmemory-policy", before)


def test_w015_redis_that_refuses_config_is_not_taken_on_trust(redis_url):
    """A managed Redis refuses CONFIG; its policy may well evict. A real Redis user whose ACL
    has no CONFIG stands in for it: W015 says the policy is unknown, W007 has no verdict."""
    from urllib.parse import urlsplit

    import redis

    admin = redis.Redis.from_url(redis_url)
    admin.acl_setuser("no-config", enabled=True, passwords=["+w015-password"], keys=["*"],
                      commands=["+@all", "-config"])  # fmt: skip
    url = urlsplit(redis_url)
    limited = f"redis://no-config:w015-password@{url.hostname}:{url.port}{url.path}"
    try:
        config = {"BACKEND": DJANGO_REDIS, "LOCATION": limited}
        with override_settings(CACHES=_caches(config), SIGNED_API={"NONCE_CACHE": "nonces"}):
            ids = signed_api_ids()
            assert "signed_api.W015" in ids
            assert "signed_api.W007" not in ids
        config = {"BACKEND": DJANGO_REDIS, "LOCATION": redis_url}  # CONFIG allowed: no W015
        with override_settings(CACHES=_caches(config), SIGNED_API={"NONCE_CACHE": "nonces"}):
            assert "signed_api.W015" not in signed_api_ids()
    finally:
        admin.acl_deluser("no-config")


def test_w007_has_no_verdict_when_redis_is_down():
    config = {"BACKEND": DJANGO_REDIS, "LOCATION": "redis://127.0.0.1:1/0",
              "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1}}
    with override_settings(CACHES=_caches(config), SIGNED_API={"NONCE_CACHE": "nonces"}):
        ids = signed_api_ids()
        assert "signed_api.W007" not in ids
        assert "signed_api.W015" not in ids  # down is not "refused": requests get 503


# -- W002: no MASTER_KEYS (deploy only) -----------------------------------------------------------


def test_w002_missing_master_keys_is_a_deploy_warning():
    with override_settings(SIGNED_API=_signed_api()):
        assert "signed_api.W002" in signed_api_ids(deploy=True)
        assert "signed_api.W002" not in signed_api_ids(deploy=False)
    with override_settings(SIGNED_API=_signed_api(MASTER_KEYS=[GOOD_MASTER_KEY])):
        assert "signed_api.W002" not in signed_api_ids(deploy=True)


def test_w002_through_manage_py_check_deploy():
    stderr, stdout = StringIO(), StringIO()
    with override_settings(SIGNED_API=_signed_api()):
        # --tag security: Django 6's other checks would query the database.
        call_command("check", "--deploy", "--tag", "security", "--fail-level", "CRITICAL",
                     stdout=stdout, stderr=stderr)
    assert "signed_api.W002" in stdout.getvalue() + stderr.getvalue()


# -- W003 / E003: clock skew ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skew", "expected"),
    [
        (300, None),
        (900, None),
        (901, "signed_api.W003"),
        (3600, "signed_api.W003"),
        (0, "signed_api.E003"),
        (-5, "signed_api.E003"),
        (True, "signed_api.E003"),
        ("300", "signed_api.E003"),
    ],
)
def test_clock_skew(skew, expected):
    with override_settings(SIGNED_API=_signed_api(CLOCK_SKEW=skew)):
        ids = signed_api_ids()
    found = [i for i in ids if i in ("signed_api.W003", "signed_api.E003")]
    assert found == ([expected] if expected else [])


# -- E001 / E002: the dict itself -----------------------------------------------------------------


def test_e001_unknown_key_is_named():
    with override_settings(SIGNED_API=_signed_api(CLOCK_SKU=300)):
        messages = [m for m in run_checks(tags=["security"]) if m.id == "signed_api.E001"]
    assert len(messages) == 1
    assert "CLOCK_SKU" in messages[0].msg
    assert "CLOCK_SKEW" in messages[0].hint


def test_known_keys_raise_no_e001():
    with override_settings(SIGNED_API=_signed_api(CLOCK_SKEW=120, REQUIRE_NONCE=True)):
        assert "signed_api.E001" not in signed_api_ids()


@pytest.mark.parametrize("value", [["NONCE_CACHE"], "nonces"], ids=["list", "str"])
def test_e002_not_a_dict(value):
    with override_settings(SIGNED_API=value):
        assert "signed_api.E002" in signed_api_ids()


@pytest.mark.parametrize("value", [["NONCE_CACHE"], "nonces"], ids=["list", "str"])
def test_not_a_dict_does_not_crash_the_deploy_checks(value):
    with override_settings(SIGNED_API=value):
        ids = signed_api_ids(deploy=True)
    assert "signed_api.E002" in ids


# -- E004 / E005: the nonce cache alias -----------------------------------------------------------


def test_e004_nonce_cache_alias_missing():
    with override_settings(SIGNED_API={"NONCE_CACHE": "no-such-alias"}):
        assert "signed_api.E004" in signed_api_ids()


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(
            {"CACHES": _caches({"BACKEND": DJANGO_REDIS, "LOCATION": "redis://127.0.0.1:1/0",
                                "OPTIONS": {"IGNORE_EXCEPTIONS": True}})},
            id="alias-option",
        ),
        pytest.param(
            {"CACHES": _caches({"BACKEND": DJANGO_REDIS, "LOCATION": "redis://127.0.0.1:1/0"}),
             "DJANGO_REDIS_IGNORE_EXCEPTIONS": True},
            id="global-setting",
        ),
    ],
)
def test_e005_nonce_cache_ignoring_exceptions(overrides):
    with override_settings(SIGNED_API=_signed_api(NONCE_CACHE="nonces"), **overrides):
        assert "signed_api.E005" in signed_api_ids()


def test_no_e005_when_errors_are_raised():
    caches = _caches({"BACKEND": DJANGO_REDIS, "LOCATION": "redis://127.0.0.1:1/0"})
    with override_settings(SIGNED_API=_signed_api(NONCE_CACHE="nonces"), CACHES=caches):
        assert "signed_api.E005" not in signed_api_ids()


# -- E006 / E007: algorithms and master keys ------------------------------------------------------


@pytest.mark.parametrize(("algorithms", "error"), [
    (("hmac-sha256", "ed25519"), False),
    (("none",), True),
    (("hmac-sha256", "hs256"), True),
])
def test_e006_unsupported_algorithm(algorithms, error):
    with override_settings(SIGNED_API=_signed_api(ALGORITHMS=algorithms)):
        assert ("signed_api.E006" in signed_api_ids()) is error


@pytest.mark.parametrize(
    ("master_keys", "bad_index"),
    [
        pytest.param([GOOD_MASTER_KEY], None, id="good"),
        pytest.param(["too-short"], 0, id="too-short"),
        pytest.param(["!" * 43], 0, id="not-base64url"),
        pytest.param([base64.urlsafe_b64encode(b"k" * 31).decode()], 0, id="31-bytes"),
        pytest.param([GOOD_MASTER_KEY, "bad"], 1, id="second-bad"),
        pytest.param([1234], 0, id="not-a-string"),
    ],
)
def test_e007_bad_master_key(master_keys, bad_index):
    with override_settings(SIGNED_API=_signed_api(MASTER_KEYS=master_keys)):
        messages = [m for m in run_checks(tags=["security"]) if m.id == "signed_api.E007"]
    if bad_index is None:
        assert messages == []
    else:
        assert len(messages) == 1
        assert f"[{bad_index}]" in messages[0].msg


# -- W004: the exception handler ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "warned"),
    [
        (None, True),
        ("rest_framework.views.exception_handler", True),
        ("signed_api.views.exception_handler", False),
        ("myproject.errors.handler", False),  # the project's own, calling ours
    ],
)
def test_w004_drf_exception_handler(handler, warned):
    rest_framework = {k: v for k, v in django_settings.REST_FRAMEWORK.items()
                      if k != "EXCEPTION_HANDLER"}
    if handler is not None:
        rest_framework["EXCEPTION_HANDLER"] = handler
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert ("signed_api.W004" in signed_api_ids()) is warned


# -- migrations ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits with 1 when a migration is missing
        pytest.fail(f"makemigrations --check found changes (exit {exc.code}):\n{out.getvalue()}")


@pytest.mark.parametrize(
    "prefixes",
    [
        {"SESSION_ID_PREFIX": "key_"},
        {"KEY_ID_PREFIX": "k", "SESSION_ID_PREFIX": "ks_"},
        {"ENROLLMENT_KEY_PREFIX": ""},
    ],
    ids=["same", "one-starts-another", "empty"],
)
def test_e009_key_id_prefixes_must_not_overlap(prefixes):
    with override_settings(SIGNED_API=_signed_api(**prefixes)):
        assert "signed_api.E009" in signed_api_ids()


def test_e009_not_raised_for_distinct_prefixes():
    with override_settings(SIGNED_API=_signed_api(KEY_ID_PREFIX="ak_", SESSION_ID_PREFIX="s_")):
        assert "signed_api.E009" not in signed_api_ids()


_CORS = "corsheaders.middleware.CorsMiddleware"


@pytest.mark.parametrize(
    ("exposed", "warned"),
    [
        (None, True),  # django-cors-headers' default: nothing exposed
        (["Signature", "Signature-Input", "Content-Digest", "Accept-Signature"], True),
        (["signature", "signature-input", "content-digest", "retry-after"], False),
        (("Signature", "Signature-Input", "Content-Digest", "Retry-After", "X-Other"), False),
    ],
    ids=["nothing", "no-retry-after", "lowercase", "all-and-more"],
)
def test_w014_cors_must_expose_what_verification_reads(exposed, warned):
    middleware = [_CORS, *django_settings.MIDDLEWARE]
    overrides = {"MIDDLEWARE": middleware}
    if exposed is not None:
        overrides["CORS_EXPOSE_HEADERS"] = exposed
    with override_settings(**overrides):
        assert ("signed_api.W014" in signed_api_ids()) is warned


def test_w014_not_without_cors_middleware():
    with override_settings(CORS_EXPOSE_HEADERS=[]):
        assert "signed_api.W014" not in signed_api_ids()


# -- the tables of the docs --------------------------------------------------------------------


@pytest.mark.parametrize("page", ["settings.md", "operations.md"])
def test_each_check_the_code_can_report_is_a_row_of_the_docs_tables(page):
    """Every ``signed_api.*`` id in the package's source is a row of the system-check table in
    ``docs/settings.md`` (with its fix) and in the summary of ``docs/operations.md``, and no row
    names an id the code no longer reports."""
    import re
    from pathlib import Path

    import signed_api

    package = Path(signed_api.__file__).parent
    in_code = {
        found
        for source in package.rglob("*.py")
        for found in re.findall(r"signed_api\.[EW]\d{3}", source.read_text(encoding="utf-8"))
    }
    docs = Path(__file__).resolve().parents[2] / "docs" / page
    rows = set(re.findall(r"^\| `(signed_api\.[EW]\d{3})` \|", docs.read_text("utf-8"), re.M))
    assert len(in_code) > 30
    assert in_code - rows == set(), f"{page} lacks rows for these checks"
    assert rows - in_code == set(), f"{page} has rows for checks the code does not have"


# -- E019: whole-number settings ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KEY_ROTATION_GRACE", "1 day"),
        ("KEY_ROTATION_GRACE", 1e12),
        ("KEY_ROTATION_GRACE", True),
        ("KEY_ROTATION_GRACE", -1),
        ("KEY_ROTATION_GRACE", 91 * 24 * 3600),
        ("REMEMBER_REUSE_GRACE", 2.5),
        ("LOGIN_FAILURES_PER_ADDRESS", 0),
        ("NUM_PROXIES", "1"),
        ("TWO_FACTOR_TIMEOUT", None),
        ("EVENT_RETENTION_DAYS", 800_000),  # signed_api_cleanup died of OverflowError
        ("SESSION_IDLE_TIMEOUT", 10**12),
    ],
)
def test_e019_a_whole_number_setting_that_is_not_one(name, value):
    with override_settings(SIGNED_API=_signed_api(**{name: value})):
        assert "signed_api.E019" in signed_api_ids()


@pytest.mark.parametrize(
    ("name", "value"),
    [("KEY_ROTATION_GRACE", 0), ("KEY_ROTATION_GRACE", 90 * 24 * 3600), ("NUM_PROXIES", 2),
     ("REMEMBER_REUSE_GRACE", 0), ("LOGIN_FAILURES_PER_ADDRESS", 1000)],
)
def test_e019_is_silent_for_good_numbers(name, value):
    with override_settings(SIGNED_API=_signed_api(**{name: value})):
        assert "signed_api.E019" not in signed_api_ids()
