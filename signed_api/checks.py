"""System checks (``manage.py check``): misconfiguration is reported, not a crash later."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS

LOCAL_CACHE_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


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
    alias = user.get("NONCE_CACHE", DEFAULTS["NONCE_CACHE"])
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        messages.append(
            Error(f"SIGNED_API['NONCE_CACHE'] names cache {alias!r}, which CACHES lacks.",
                  id="signed_api.E004")
        )
    else:
        config = caches[alias]
        backend = config.get("BACKEND", "")
        if backend == "django.core.cache.backends.dummy.DummyCache":
            messages.append(
                Error(
                    f"The nonce cache {alias!r} is a DummyCache: it remembers no nonce, so "
                    "every replay would pass.",
                    hint="Use Redis through django-redis (or locmem for a single process).",
                    id="signed_api.E008",
                )
            )
        elif backend in LOCAL_CACHE_BACKENDS:
            messages.append(
                Warning(
                    f"The nonce cache {alias!r} uses {backend.rsplit('.', 1)[-1]}: nonces and key "
                    "revocations are then seen by this process only.",
                    hint="Use Redis through django-redis when more than one process serves "
                    "requests (see docs/settings.md#nonce_cache).",
                    id="signed_api.W001",
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
        if alg not in ("hmac-sha256", "ed25519", "ecdsa-p256-sha256"):
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
    if installed[0] != middleware:
        return [
            Warning(
                "ResponseSignatureMiddleware is not first in MIDDLEWARE: a middleware above it "
                "may change the body after it was signed.",
                hint="Move it to the top of MIDDLEWARE.",
                id="signed_api.W006",
            )
        ]
    return []


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
