"""Django settings for the test suite (``DJANGO_SETTINGS_MODULE=tests.settings``, set in pyproject).

Two environment variables pick the backends, so one suite runs twice in ``make test``:

- ``DATABASE_URL``: unset means SQLite in memory; ``postgres://...`` a real server.
- ``REDIS_URL``: unset means the shared store is the database table (the default a project
  gets); set, it is Redis through the django-redis ``nonces`` alias.

``tests/servers.py`` starts throw-away servers and sets both for the second pass.
"""

import os

from example_project.dburl import parse_database_url

SECRET_KEY = "tests-only-not-secret"  # fixed, so data derived from it is stable
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1", "[::1]"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "rest_framework",
    "rest_framework.authtoken",  # the DRF TokenAuthentication baseline in benchmarks
    "signed_api",
    "example_project.notes",  # the example API the HTTP tests call
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
]

ROOT_URLCONF = "example_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

# SQLite in memory unless DATABASE_URL names a server; pytest-django creates the test database.
DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL", "sqlite://:memory:"))}

_REDIS_URL = os.environ.get("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SIGNED_API = {"DEFAULT_KEY_SCOPES": ["notes:read", "notes:write"]}
if _REDIS_URL:
    # Pass 2: the shared store (nonces, counters, key state) on a real Redis.
    CACHES["nonces"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": _REDIS_URL}
    SIGNED_API["NONCE_CACHE"] = "nonces"
# Otherwise the shared store is the signed_api_storeentry table of the test database, the
# default a project gets with no Redis.

# As a project using signed_api would configure DRF (see docs/django.md).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "signed_api.authentication.SignatureAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "signed_api.views.exception_handler",
    # DRF's parsers, but deeply nested JSON is a 400 and a body over
    # DATA_UPLOAD_MAX_MEMORY_SIZE a 413 instead of a 500 (docs/django.md).
    "DEFAULT_PARSER_CLASSES": ["signed_api.parsers.JSONParser",
                               "signed_api.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
}

# As in the example project, whose URLconf the suite serves: with the `openapi` extra, the
# schema class is drf-spectacular's from the start. Its schema and Swagger views bind the class
# in force when they are imported, so a test that switches it later would find DRF's own there.
try:
    import drf_spectacular  # noqa: F401
except ImportError:
    pass
else:
    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "signed_api.openapi.SignedAutoSchema"

# Hashing passwords slowly only slows the suite down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_URL = "/static/"
