"""URLs of signed_api, mounted with ``path("api/auth/", include("signed_api.urls"))``.

The JWKS lives at the site root: add ``path(".well-known/signed-api/keys",
signed_api.views.JWKSView.as_view())`` (or include ``signed_api.urls.well_known``).
"""

from django.urls import path, register_converter

from . import views

app_name = "signed_api"


class CredentialIdConverter:
    """A key, session or challenge id in a URL: printable ASCII without ``/``.

    Anything else (a NUL, which PostgreSQL cannot even compare, a control character, a
    non-ASCII letter) names nothing here, so the route does not match: a 404, never a 500.
    """

    regex = "[!-.0-~]{1,200}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CredentialIdConverter, "credential_id")

urlpatterns = [
    path("sessions/", views.SessionsView.as_view(), name="sessions"),
    path(
        "sessions/<credential_id:session_id>/",
        views.SessionDetailView.as_view(),
        name="session-detail",
    ),
    path(
        "sessions/<credential_id:session_id>/verify/",
        views.ChallengeVerifyView.as_view(),
        name="session-verify",
    ),
    path("totp/", views.TOTPView.as_view(), name="totp"),
    path("totp/confirm/", views.TOTPConfirmView.as_view(), name="totp-confirm"),
    path("keys/", views.KeysView.as_view(), name="keys"),
    path("keys/<credential_id:key_id>/", views.KeyDetailView.as_view(), name="key-detail"),
    path("keys/<credential_id:key_id>/rotate/", views.KeyRotateView.as_view(), name="key-rotate"),
    path("enroll/", views.EnrollView.as_view(), name="enroll"),
]


well_known = [
    path(".well-known/signed-api/keys", views.JWKSView.as_view(), name="signed-api-jwks"),
]
