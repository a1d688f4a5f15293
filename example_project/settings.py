"""Settings of the example project.

Defaults need nothing installed: SQLite under ``var/``, which also holds signed_api's shared
store (nonces, guessing-budget counters, key state), so several workers share it. Environment:

- ``DATABASE_URL``: ``sqlite:///path`` or ``postgres://USER:PASSWORD@HOST:PORT/NAME``.
- ``REDIS_URL``: ``redis://HOST:PORT/DB`` puts the shared store on Redis (production: one round
  trip per request; configure Redis with ``maxmemory-policy noeviction``).
- ``REDIS_SENTINELS``: ``HOST:PORT,HOST:PORT,...`` puts it on the Redis primary that these
  sentinels name for ``REDIS_SENTINEL_SERVICE`` (default ``mymaster``), database
  ``REDIS_SENTINEL_DB`` (default ``0``), followed through failovers (instead of ``REDIS_URL``).
- ``DJANGO_SECRET_KEY`` (unset: a random key kept in ``var/secret_key``), ``DJANGO_DEBUG``
  (``0``/``1``), ``DJANGO_ALLOWED_HOSTS`` (comma separated).
"""

import os
from pathlib import Path

import django

from example_project.dburl import parse_database_url
from example_project.local_secret import local_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

# Unset (make demo): a random key of this checkout, made once in var/secret_key, never a constant
# (signed_api derives its server key, gateway key and key of secrets at rest from it when
# SIGNED_API["MASTER_KEYS"] is empty).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or local_secret_key(
    BASE_DIR / "var" / "secret_key"
)
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "signed_api",
    "example_project.notes",
    # /demo/: the JavaScript client in a browser (example_project/demo, docs/quickstart.md).
    "example_project.demo",
]

MIDDLEWARE = [
    # First: answers the outer POST of the OHTTP gateway before the rest (docs/encryption.md).
    "signed_api.gateway.OHTTPGatewayMiddleware",
    # Next, so it signs the response bytes as they leave (docs/protocol.md).
    "signed_api.response_signing.ResponseSignatureMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_DEFAULT_SQLITE = BASE_DIR / "var" / "db.sqlite3"
DATABASES = {
    "default": parse_database_url(os.environ.get("DATABASE_URL", f"sqlite:///{_DEFAULT_SQLITE}"))
}
if "DATABASE_URL" not in os.environ:
    _DEFAULT_SQLITE.parent.mkdir(exist_ok=True)  # var/ is git-ignored
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers (and threads) write to one file: wait up to 20 s for the write lock
    # rather than fail at once, and on Django 5.1+ take it as a transaction begins, so two
    # transactions never deadlock over it (docs/sessions.md, "SQLite").
    _SQLITE_OPTIONS = DATABASES["default"].setdefault("OPTIONS", {})
    _SQLITE_OPTIONS.setdefault("timeout", 20)
    if django.VERSION >= (5, 1):
        _SQLITE_OPTIONS.setdefault("transaction_mode", "IMMEDIATE")

_REDIS_URL = os.environ.get("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Keys made without --scopes (or "scopes") may read and write notes.
SIGNED_API = {"DEFAULT_KEY_SCOPES": ["notes:read", "notes:write"]}
if _REDIS_URL:
    # Production: nonces, guessing-budget counters and key state on Redis (noeviction).
    CACHES["nonces"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": _REDIS_URL}
    SIGNED_API["NONCE_CACHE"] = "nonces"
_REDIS_SENTINELS = os.environ.get("REDIS_SENTINELS")
if _REDIS_SENTINELS:
    # The same on Redis with Sentinel: django-redis asks the sentinels for the primary, and asks
    # again after a failover. Short timeouts: a dead primary costs a 503 of about a second, not
    # a worker stuck on a socket (docs/deployment.md).
    _SERVICE = os.environ.get("REDIS_SENTINEL_SERVICE", "mymaster")
    _TIMEOUTS = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    CACHES["nonces"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://{_SERVICE}/{int(os.environ.get('REDIS_SENTINEL_DB', '0'))}",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "SENTINELS": [
                (host.strip(), int(port))
                for host, _, port in (a.rpartition(":") for a in _REDIS_SENTINELS.split(","))
            ],
            "SENTINEL_KWARGS": _TIMEOUTS,
            "SOCKET_TIMEOUT": _TIMEOUTS["socket_timeout"],
            "SOCKET_CONNECT_TIMEOUT": _TIMEOUTS["socket_connect_timeout"],
        },
    }
    SIGNED_API["NONCE_CACHE"] = "nonces"
# Without Redis they live in a table of the database above, shared by every worker.

REST_FRAMEWORK = {
    # Signed requests only. A Django session (the admin's cookie) would reach no view here: the
    # notes need a scope, which only signed_api's credentials carry (403 scope_missing), and the
    # account views take signatures alone. Left out, it cannot become a way in either.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "signed_api.authentication.SignatureAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Adds the stable "code" and the Accept-Signature header to 401s (docs/protocol.md).
    "EXCEPTION_HANDLER": "signed_api.views.exception_handler",
    # DRF's parsers, but deeply nested JSON is a 400 and a body over
    # DATA_UPLOAD_MAX_MEMORY_SIZE a 413 instead of a 500 (docs/django.md).
    "DEFAULT_PARSER_CLASSES": ["signed_api.parsers.JSONParser",
                               "signed_api.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
}

# OpenAPI (docs/openapi.md), with the `openapi` extra: the schema at /api/schema/, Swagger UI at
# /api/docs/. SignedAutoSchema also declares the refusals of the project's own signed views.
try:
    import drf_spectacular  # noqa: F401
except ImportError:  # the example runs without the extra, minus those two pages
    pass
else:
    INSTALLED_APPS.append("drf_spectacular")
    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "signed_api.openapi.SignedAutoSchema"
    SPECTACULAR_SETTINGS = {
        "TITLE": "signed_api example project",
        "DESCRIPTION": "Notes signed with RFC 9421 HTTP Message Signatures; API keys, sessions "
                       "with TOTP and remember-me tokens, and an Oblivious HTTP gateway.",
        "VERSION": "0.1.0",
        "SERVE_INCLUDE_SCHEMA": False,
        "COMPONENT_SPLIT_REQUEST": True,
        "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                                 "signed_api.openapi.add_ohttp_gateway"],
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"signed_api": {"handlers": ["console"], "level": "INFO"}},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

# CORS (docs/django.md, "CORS"), on only when CORS_ALLOWED_ORIGINS is set (comma separated, e.g.
# "https://app.example.com"): django-cors-headers lets those origins send the signature headers
# (a preflight asks for them) and read the response's, so a page there can verify the answers.
_CORS_ORIGINS = [o.strip() for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",")]
_CORS_ORIGINS = [o for o in _CORS_ORIGINS if o]
if _CORS_ORIGINS:
    from corsheaders.defaults import default_headers

    INSTALLED_APPS.append("corsheaders")
    # First, so preflights and the gateway's answers (OHTTPGatewayMiddleware) get the headers too.
    MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")
    CORS_ALLOWED_ORIGINS = _CORS_ORIGINS
    CORS_ALLOW_HEADERS = (
        *default_headers, "signature", "signature-input", "content-digest", "accept-signature",
    )
    CORS_EXPOSE_HEADERS = [
        "Signature", "Signature-Input", "Content-Digest", "Accept-Signature", "Retry-After",
    ]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
