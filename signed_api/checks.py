"""System checks (``manage.py check``): misconfiguration is reported, not a crash later."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .conf import DEFAULTS
from .core import algorithms


@register(Tags.security)
def check_settings(app_configs=None, **kwargs):
    messages = []
    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict):
        return [Error("SIGNED_API must be a dict.", id="signed_api.E002")]
    for key in sorted(set(user) - set(DEFAULTS)):
        messages.append(
            Error(
                f"Unknown key {key!r} in SIGNED_API.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}. See docs/settings.md.",
                id="signed_api.E001",
            )
        )
    skew = user.get("CLOCK_SKEW", DEFAULTS["CLOCK_SKEW"])
    if not isinstance(skew, int) or isinstance(skew, bool) or skew <= 0:
        messages.append(
            Error("SIGNED_API['CLOCK_SKEW'] must be a positive number of seconds.",
                  id="signed_api.E003")
        )
    elif skew > 900:
        messages.append(
            Warning(
                f"SIGNED_API['CLOCK_SKEW'] is {skew} s; over 15 minutes widens the replay window "
                "and the nonce store's size.",
                hint="Keep it at 300 (the default) unless clients' clocks are known to drift.",
                id="signed_api.W003",
            )
        )
    messages += _number_messages(user)
    messages += _store_messages(user)
    prefixes = [
        user.get(name, DEFAULTS[name])
        for name in ("KEY_ID_PREFIX", "SESSION_ID_PREFIX", "ENROLLMENT_KEY_PREFIX")
    ]
    clash = any(not isinstance(p, str) or not p for p in prefixes) or any(
        a.startswith(b) for i, a in enumerate(prefixes) for j, b in enumerate(prefixes) if i != j
    )
    if clash:
        messages.append(
            Error(
                "KEY_ID_PREFIX, SESSION_ID_PREFIX and ENROLLMENT_KEY_PREFIX must be non-empty "
                "and none may start another: a key id must name one kind of credential.",
                hint="Keep the defaults key_, ses_ and enr_ (changing one strands existing ids).",
                id="signed_api.E009",
            )
        )
    for alg in user.get("ALGORITHMS", ()):
        if alg not in algorithms.names(api_keys=True):
            messages.append(
                Error(f"SIGNED_API['ALGORITHMS'] has unsupported {alg!r}.", id="signed_api.E006")
            )
    master = user.get("MASTER_KEYS", ())
    if master:
        from .core.keyring import decode_master_key

        for index, text in enumerate(master):
            try:
                decode_master_key(text)
            except (ValueError, TypeError, UnicodeError):
                messages.append(
                    Error(
                        f"SIGNED_API['MASTER_KEYS'][{index}] is not 32 bytes in base64url.",
                        hint="Generate one with: python -c \"import secrets,base64;"
                        "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())\"",
                        id="signed_api.E007",
                    )
                )
    return messages


#: The whole-number settings (seconds, counts) and the least each may be; CLOCK_SKEW (E003) and
#: the gateway's (E018) have checks of their own.
_NUMBERS = {
    "LAST_USED_INTERVAL": 0,
    "KEY_CACHE_SIZE": 1,
    "SESSION_IDLE_TIMEOUT": 1,
    "SESSION_ABSOLUTE_TIMEOUT": 1,
    "MAX_SESSIONS_PER_USER": 1,
    "TWO_FACTOR_TIMEOUT": 1,
    "TWO_FACTOR_MAX_ATTEMPTS": 1,
    "RECOVERY_CODES": 1,
    "REMEMBER_TOKEN_LIFETIME": 1,
    "REMEMBER_REUSE_GRACE": 0,
    "LOGIN_FAILURES_PER_USERNAME": 1,
    "LOGIN_FAILURES_PER_ADDRESS": 1,
    "LOGIN_FAILURE_WINDOW": 1,
    "NUM_PROXIES": 0,
    "KEY_ROTATION_GRACE": 0,
    "EVENT_RETENTION_DAYS": 1,
    "EVENT_THROTTLE": 0,
}
#: The most any of them may be but those of ``_most()``: a century of seconds (or of anything
#: else).
_CENTURY = 100 * 365 * 24 * 3600


def _most() -> dict[str, int]:
    """The caps the services apply themselves: a rotation's grace, the events' retention."""
    from .services.events import MAX_RETENTION_DAYS
    from .services.keys import MAX_ROTATION_GRACE

    return {
        "KEY_ROTATION_GRACE": int(MAX_ROTATION_GRACE.total_seconds()),
        "EVENT_RETENTION_DAYS": MAX_RETENTION_DAYS,
    }


def _number_messages(user: dict) -> list[CheckMessage]:
    """E019: a whole-number setting that is not one (a string, a float, a bool), or is below
    its least value or above its most (a KEY_ROTATION_GRACE over 90 days, an
    EVENT_RETENTION_DAYS over a century, anything else over a century of seconds). Read where
    it is used with ``int()``, such a value made every request that reads it a 500."""
    found: list[CheckMessage] = []
    caps = _most()
    for name, least in _NUMBERS.items():
        if name not in user:
            continue
        value = user[name]
        most = caps.get(name, _CENTURY)
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
            bounds = f"from {least} to {most}"
            found.append(
                Error(
                    f"SIGNED_API[{name!r}] must be a whole number, {bounds}; it is {value!r}.",
                    hint="See docs/settings.md for what it counts (seconds or a number).",
                    id="signed_api.E019",
                )
            )
    return found


@register(Tags.security, deploy=True)
def check_master_keys(app_configs=None, **kwargs):
    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict) or user.get("MASTER_KEYS"):
        return []  # a non-dict is E002's business
    return [
        Warning(
            "SIGNED_API['MASTER_KEYS'] is not set: stored secrets are encrypted under a key "
            "derived from SECRET_KEY, so rotating SECRET_KEY without keeping it in "
            "SECRET_KEY_FALLBACKS makes every stored secret unreadable.",
            hint="Set MASTER_KEYS to a list of base64url 32-byte keys kept outside the database.",
            id="signed_api.W002",
        )
    ]


@register(Tags.security)
def check_exception_handler(app_configs=None, **kwargs):
    handler = getattr(settings, "REST_FRAMEWORK", {}).get("EXCEPTION_HANDLER")
    if handler in (None, "rest_framework.views.exception_handler"):
        return [
            Warning(
                "REST_FRAMEWORK['EXCEPTION_HANDLER'] is DRF's: an unsigned request then gets no "
                "'code' and no Accept-Signature header.",
                hint="Set it to 'signed_api.views.exception_handler' (or call it from yours).",
                id="signed_api.W004",
            )
        ]
    return []


# Middleware that may sit above ResponseSignatureMiddleware: neither changes a body it passes
# on. The gateway's middleware answers the outer OHTTP POST itself (signing it) and hands every
# other request down; CorsMiddleware only adds Access-Control-* headers, which no signature covers.
_HEADERS_ONLY_MIDDLEWARE = frozenset({
    "signed_api.gateway.OHTTPGatewayMiddleware",
    "corsheaders.middleware.CorsMiddleware",
})


@register(Tags.security)
def check_response_signing(app_configs=None, **kwargs):
    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict) or not user.get("SIGN_RESPONSES", True):
        return []
    middleware = "signed_api.response_signing.ResponseSignatureMiddleware"
    installed = list(getattr(settings, "MIDDLEWARE", []) or [])
    if middleware not in installed:
        return [
            Warning(
                "SIGN_RESPONSES is on but ResponseSignatureMiddleware is not installed: "
                "responses go out unsigned.",
                hint=f"Add {middleware!r} first in MIDDLEWARE, or set SIGN_RESPONSES to False.",
                id="signed_api.W005",
            )
        ]
    above = installed[: installed.index(middleware)]
    if any(name not in _HEADERS_ONLY_MIDDLEWARE for name in above):
        return [
            Warning(
                "ResponseSignatureMiddleware is not first in MIDDLEWARE: a middleware above it "
                "may change the body after it was signed.",
                hint="Move it to the top of MIDDLEWARE (only OHTTPGatewayMiddleware and "
                "CorsMiddleware may stay above it).",
                id="signed_api.W006",
            )
        ]
    return []


#: The response fields a page on another origin must read to verify an answer (a refusal's
#: Retry-After is covered by its signature too).
CORS_EXPOSED_FOR_VERIFICATION = ("Signature", "Signature-Input", "Content-Digest", "Retry-After")


@register(Tags.security)
def check_cors_exposed_headers(app_configs=None, **kwargs):
    """W014: django-cors-headers answers other origins but does not expose the fields a page
    needs to verify the answers (the browser hides every field it was not told to expose)."""
    if "corsheaders.middleware.CorsMiddleware" not in list(getattr(settings, "MIDDLEWARE", [])
                                                           or []):
        return []
    exposed = getattr(settings, "CORS_EXPOSE_HEADERS", []) or []
    try:
        names = {str(name).lower() for name in exposed}
    except TypeError:
        names = set()
    missing = [n for n in CORS_EXPOSED_FOR_VERIFICATION if n.lower() not in names]
    if not missing:
        return []
    return [
        Warning(
            "CORS_EXPOSE_HEADERS lacks " + ", ".join(missing) + ": a page on another origin "
            "cannot read them, so it cannot verify the answers (a 429's or 503's signature "
            "covers its Retry-After).",
            hint="Add " + ", ".join(repr(n) for n in missing) + " to CORS_EXPOSE_HEADERS.",
            id="signed_api.W014",
        )
    ]


@register(Tags.security)
def check_server_signatures(app_configs=None, **kwargs):
    """``SERVER_SIGNATURES`` is one of its values, and the server key it signs with exists."""
    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict) or not user.get("SIGN_RESPONSES", True):
        return []
    scope = user.get("SERVER_SIGNATURES", DEFAULTS["SERVER_SIGNATURES"])
    from .response_signing import SCOPES, server_keys

    if scope not in SCOPES:
        return [
            Error(
                f"SIGNED_API['SERVER_SIGNATURES'] is {scope!r}.",
                hint='Use "app" (the default), "site" or None (docs/settings.md).',
                id="signed_api.E030",
            )
        ]
    if scope is None:
        return []
    try:
        keys = server_keys()
    except Exception as exc:  # noqa: BLE001 - whatever stops the key from being derived
        keys, reason = [], f"{type(exc).__name__}: {exc}"
    else:
        reason = "no master key"
    if not keys:
        return [
            Error(
                f"No server key to sign refusals and unauthenticated answers with ({reason}).",
                hint="Set SIGNED_API['MASTER_KEYS'] (or SECRET_KEY): the server key is derived "
                "from the newest master key.",
                id="signed_api.E031",
            )
        ]
    return []


# -- the shared store (nonces, guessing-budget counters, key state) -----------------------------
def _store_messages(user: dict) -> list:
    from django.utils.module_loading import import_string

    from .stores.redis import is_redis_backend

    messages: list[CheckMessage] = []
    configured = user.get("STORE", DEFAULTS["STORE"])
    alias = user.get("NONCE_CACHE", DEFAULTS["NONCE_CACHE"])
    if configured:
        try:
            cls = import_string(configured) if isinstance(configured, str) else configured
        except ImportError as exc:
            return [Error(f"SIGNED_API['STORE'] cannot be imported: {exc}", id="signed_api.E011")]
        if not getattr(cls, "shared", True):
            if user.get("ALLOW_PROCESS_LOCAL_STORE"):
                messages.append(
                    Warning(
                        f"The shared store is {cls.__name__}, which is per process: a replay "
                        "that reaches another process is answered.",
                        hint="Only a test suite should set ALLOW_PROCESS_LOCAL_STORE.",
                        id="signed_api.W001",
                    )
                )
            else:
                messages.append(
                    Error(
                        f"SIGNED_API['STORE'] is {cls.__name__}, a per-process store for tests: "
                        "replays that reach another worker would be answered.",
                        hint="Remove STORE (the database table is the default) or set "
                        "NONCE_CACHE to a Redis cache; tests may set ALLOW_PROCESS_LOCAL_STORE.",
                        id="signed_api.E010",
                    )
                )
        return messages
    caches = getattr(settings, "CACHES", {})
    if alias:
        if alias not in caches:
            return [
                Error(f"SIGNED_API['NONCE_CACHE'] names cache {alias!r}, which CACHES lacks.",
                      id="signed_api.E004")
            ]
        config = caches[alias]
        backend = config.get("BACKEND", "")
        if not is_redis_backend(backend):
            messages.append(
                Error(
                    f"The nonce cache {alias!r} uses {backend.rsplit('.', 1)[-1]}, which forgets "
                    "entries before they expire (it culls at MAX_ENTRIES, evicts, is per "
                    "process, or stores nothing): a forgotten nonce can be replayed.",
                    hint="Point NONCE_CACHE at Redis (django-redis), or remove NONCE_CACHE to "
                    "keep the shared store in a table of the database.",
                    id="signed_api.E008",
                )
            )
        if config.get("OPTIONS", {}).get("IGNORE_EXCEPTIONS") or getattr(
            settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False
        ):
            messages.append(
                Error(
                    f"The nonce cache {alias!r} ignores exceptions; a failed nonce write would "
                    "look like a new nonce.",
                    hint="Remove IGNORE_EXCEPTIONS for this alias; signed_api fails closed (503).",
                    id="signed_api.E005",
                )
            )
        return messages
    database = user.get("STORE_DATABASE", DEFAULTS["STORE_DATABASE"])
    databases = getattr(settings, "DATABASES", {})
    if database not in databases:
        return [
            Error(f"SIGNED_API['STORE_DATABASE'] names database {database!r}, which DATABASES "
                  "lacks.", id="signed_api.E012")
        ]
    engine = databases[database].get("ENGINE", "")
    if not any(vendor in engine for vendor in ("sqlite3", "postgresql", "postgis")):
        messages.append(
            Error(
                f"The shared store table needs SQLite or PostgreSQL (INSERT ... ON CONFLICT); "
                f"database {database!r} uses {engine.rsplit('.', 1)[-1] or 'no engine'}.",
                hint="Point NONCE_CACHE at Redis, or STORE_DATABASE at a SQLite or PostgreSQL "
                "alias.",
                id="signed_api.E013",
            )
        )
    if databases[database].get("ATOMIC_REQUESTS"):
        messages.append(
            Warning(
                f"The shared store is a table of database {database!r}, which has "
                "ATOMIC_REQUESTS: a view that fails rolls back the nonce its request used, so "
                "that request can be sent again within the window.",
                hint="Give the store its own alias of the same database (a second DATABASES "
                "entry without ATOMIC_REQUESTS) in STORE_DATABASE, or use Redis.",
                id="signed_api.W008",
            )
        )
    return messages


@register(Tags.security)
def check_redis_eviction(app_configs=None, **kwargs):
    """Redis evicts keys (nonces among them) under any maxmemory-policy but noeviction."""
    from .stores import StoreUnavailable, get_store
    from .stores.redis import RedisStore

    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict) or not user.get("NONCE_CACHE") or user.get("STORE"):
        return []
    try:
        store = get_store()
        if not isinstance(store, RedisStore):
            return []
    except StoreUnavailable:
        return []
    try:
        policy = store.eviction_policy()
    except Exception as exc:  # noqa: BLE001 - what redis-py raises: judged below
        from redis.exceptions import ResponseError

        if not isinstance(exc, ResponseError):
            return []  # down or unreachable at check time: no verdict (requests then get 503)
        # Redis answered, and refused CONFIG (renamed, or an ACL without it): the usual case on
        # a managed service, whose default policy often evicts keys that expire, nonces first.
        return [
            Warning(
                "Redis behind NONCE_CACHE refused CONFIG GET maxmemory-policy, so whether it "
                "evicts keys (nonces among them, which could then be replayed) is unknown.",
                hint="Make sure its maxmemory-policy is noeviction (managed services set it in "
                "a parameter group; several default to volatile-lru, which evicts nonces), "
                "then add signed_api.W015 to SILENCED_SYSTEM_CHECKS.",
                id="signed_api.W015",
            )
        ]
    if policy == "noeviction":
        return []
    return [
        Warning(
            f"Redis behind NONCE_CACHE has maxmemory-policy {policy!r}: when it is full it "
            "evicts keys, nonces among them, and an evicted nonce can be replayed.",
            hint="Set maxmemory-policy noeviction (a full Redis then refuses writes and "
            "signed_api answers 503), or give Redis no maxmemory limit.",
            id="signed_api.W007",
        )
    ]


@register(Tags.security, Tags.admin)
def check_admin_login_second_factor(app_configs=None, **kwargs):
    """W009: an admin site whose login skips the second factor (a login form of the project's
    own); W010: DRF's login page, mounted beside SessionAuthentication, makes a session with
    the password alone."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib.admin.sites import all_sites

    from . import admin_login

    # Reversing loads the URLconf first, and a urls.py may set a site's login_form.
    drf_login = _url_names_mounted("rest_framework:login")
    messages = []
    for site in sorted(all_sites, key=lambda s: s.name):
        if admin_login.is_protected(site):
            continue
        messages.append(
            Warning(
                f"The login of admin site {site.name!r} skips the second factor: it uses "
                f"login form {_qualname(site.login_form)} and template "
                f"{site.login_template or 'admin/login.html'!r}, so a user with a TOTP device "
                "logs in with the password alone and outside the guessing budget.",
                hint="Add signed_api.admin_login.SecondFactorAdminSiteMixin to the site's class "
                "(or subclass SecondFactorAdminAuthenticationForm), see "
                "docs/admin-and-rotation.md; silence signed_api.W009 if this login has a "
                "second factor of its own.",
                obj=site,
                id="signed_api.W009",
            )
        )
    classes = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_AUTHENTICATION_CLASSES", ())
    session_auth = any(
        (path if isinstance(path, str) else getattr(path, "__name__", "")).rsplit(".", 1)[-1]
        == "SessionAuthentication"
        for path in classes
    )
    if drf_login and session_auth:
        messages.append(
            Warning(
                "rest_framework.urls is mounted and SessionAuthentication is on: DRF's login "
                "page makes a Django session with the password alone, so a user with a second "
                "factor reaches the API without a code (the admin refuses that session).",
                hint="Remove rest_framework.urls (or SessionAuthentication) in production; see "
                "docs/security.md.",
                id="signed_api.W010",
            )
        )
    return messages


def _qualname(value) -> str:
    if value is None:
        return "AdminAuthenticationForm (Django's)"
    return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"


def _url_names_mounted(name: str) -> bool:
    """Whether the URLconf reverses ``name``; loading it is left to Django's own URL checks to
    report when it fails."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    except Exception:  # noqa: BLE001 - a broken URLconf is check_url_config's to report
        return False
    return True


_STOCK_PARSERS = ("rest_framework.parsers.JSONParser", "rest_framework.parsers.FormParser")


@register(Tags.security)
def check_parsers(app_configs=None, **kwargs):
    """DRF's stock JSON parser answers deeply nested JSON with a 500 (RecursionError) and, like
    its form parser, reads a body of any size (docs/django.md)."""
    from rest_framework.settings import DEFAULTS as DRF_DEFAULTS

    configured = getattr(settings, "REST_FRAMEWORK", {}).get(
        "DEFAULT_PARSER_CLASSES", DRF_DEFAULTS["DEFAULT_PARSER_CLASSES"]
    )
    paths = [p if isinstance(p, str) else f"{p.__module__}.{p.__qualname__}" for p in configured]
    stock = [path.rsplit(".", 1)[-1] for path in paths if path in _STOCK_PARSERS]
    if not stock:
        return []
    return [
        Warning(
            f"REST_FRAMEWORK['DEFAULT_PARSER_CLASSES'] uses DRF's {' and '.join(stock)}: "
            "deeply nested JSON is then a 500 and a body over DATA_UPLOAD_MAX_MEMORY_SIZE "
            "is read whole.",
            hint="Use signed_api.parsers.JSONParser and signed_api.parsers.FormParser instead.",
            id="signed_api.W020",
        )
    ]


@register(Tags.security)
def check_second_factors(app_configs=None, **kwargs):
    """Every entry of SECOND_FACTORS imports, is a SecondFactor, and has a name of its own."""
    from django.utils.module_loading import import_string

    from .second_factors.base import SecondFactor

    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict):
        return []
    paths = user.get("SECOND_FACTORS", DEFAULTS["SECOND_FACTORS"])
    messages, names = [], []
    for path in paths if isinstance(paths, (list, tuple)) else [paths]:
        try:
            cls = import_string(path) if isinstance(path, str) else path
        except ImportError as exc:
            messages.append(Error(f"SIGNED_API['SECOND_FACTORS'] entry {path!r} cannot be "
                                  f"imported: {exc}", id="signed_api.E014"))
            continue
        if not (isinstance(cls, type) and issubclass(cls, SecondFactor)) or not cls.name:
            messages.append(Error(f"SIGNED_API['SECOND_FACTORS'] entry {path!r} is not a "
                                  "SecondFactor with a name.", id="signed_api.E014"))
            continue
        names.append(cls.name)
    if len(set(names)) != len(names):
        messages.append(Error("Two SECOND_FACTORS have the same name.", id="signed_api.E014"))
    return messages


# -- the Oblivious HTTP gateway (docs/encryption.md) --------------------------------------------
def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@register(Tags.security)
def check_ohttp_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """E015-E017: ``OHTTP_KEYS`` entries that do not make a key; E018: the lifetime, the size
    limit or the response padding is not a number of seconds or bytes."""
    from .ohttp_keys import settings_errors

    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict):
        return []
    messages: list[CheckMessage] = [
        Error(text, hint="See docs/settings.md#ohttp_keys; generate a key with manage.py "
              "signed_api_ohttp_keys generate, or python -c \"from signed_api.core import "
              "hpke, b64; print(b64.b64url_encode(hpke.generate_private_key()))\"", id=check_id)
        for check_id, text in settings_errors(user.get("OHTTP_KEYS", DEFAULTS["OHTTP_KEYS"]))
    ]
    for name in ("OHTTP_KEY_LIFETIME", "OHTTP_MAX_REQUEST_BYTES"):
        if not _positive_int(user.get(name, DEFAULTS[name])):
            messages.append(
                Error(f"SIGNED_API[{name!r}] must be a positive whole number.",
                      id="signed_api.E018")
            )
    padding = user.get("OHTTP_RESPONSE_PADDING", DEFAULTS["OHTTP_RESPONSE_PADDING"])
    if not (_positive_int(padding) or (type(padding) is int and padding == 0)):
        messages.append(
            Error("SIGNED_API['OHTTP_RESPONSE_PADDING'] must be a whole number of bytes, 0 for "
                  "none.", id="signed_api.E018")
        )
    return messages


@register(Tags.security)
def check_ohttp_middleware(app_configs=None, **kwargs) -> list[CheckMessage]:
    """W013: the gateway is mounted but ``OHTTPGatewayMiddleware`` is not in ``MIDDLEWARE``
    (the outer POST then passes the whole stack: correct, only slower)."""
    from .gateway import URL_NAME

    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    wanted = "signed_api.gateway.OHTTPGatewayMiddleware"
    if wanted in middleware or not _url_names_mounted(URL_NAME):
        return []
    return [
        Warning(
            "The Oblivious HTTP gateway is mounted but signed_api.gateway."
            "OHTTPGatewayMiddleware is not in MIDDLEWARE: every encapsulated request "
            "passes the middleware stack twice (outside and inside).",
            hint="Put \"signed_api.gateway.OHTTPGatewayMiddleware\" first in MIDDLEWARE "
            "(docs/encryption.md).",
            id="signed_api.W013",
        )
    ]


@register(Tags.security, deploy=True)
def check_ohttp_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    """W011: the gateway is mounted and its key is derived from the master key (no
    ``OHTTP_KEYS``, no stored key); W012: a stored key has the id of a settings key."""
    user = getattr(settings, "SIGNED_API", {})
    if not isinstance(user, dict) or not _url_names_mounted("signed-api-ohttp-gateway"):
        return []
    configured = user.get("OHTTP_KEYS") or ()
    try:
        from .models import OHTTPKey

        stored = list(OHTTPKey.objects.values_list("key_id", "retired_at"))
    except Exception:  # noqa: BLE001 - no table yet, or no database: nothing stored to count
        stored = []
    messages: list[CheckMessage] = []
    if not configured and not any(retired is None for _id, retired in stored):
        messages.append(
            Warning(
                "The Oblivious HTTP gateway is mounted but has no key of its own: its key is "
                "derived from the master key (from SECRET_KEY when MASTER_KEYS is empty), so "
                "anyone who learns it can read every encapsulated request.",
                hint="Run manage.py signed_api_ohttp_keys generate, or set "
                "SIGNED_API['OHTTP_KEYS'] (docs/encryption.md).",
                id="signed_api.W011",
            )
        )
    ids = {item.get("key_id") for item in configured if isinstance(item, dict)}
    shadowed = sorted(key_id for key_id, _retired in stored if key_id in ids)
    if shadowed:
        messages.append(
            Warning(
                f"Stored OHTTP keys {shadowed} have the key id of an OHTTP_KEYS entry and are "
                "ignored.",
                hint="Retire them (manage.py signed_api_ohttp_keys retire) or give the "
                "settings keys other ids.",
                id="signed_api.W012",
            )
        )
    return messages
