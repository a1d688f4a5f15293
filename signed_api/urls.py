"""URLs of signed_api, mounted with ``path("api/auth/", include("signed_api.urls"))``.

The JWKS lives at the site root: add ``path(".well-known/signed-api/keys",
signed_api.views.JWKSView.as_view())`` (or include ``signed_api.urls.well_known``).
"""

from django.urls import path

from . import views

app_name = "signed_api"

urlpatterns = [
    path("sessions/", views.SessionsView.as_view(), name="sessions"),
    path("sessions/<str:session_id>/", views.SessionDetailView.as_view(), name="session-detail"),
    path(
        "sessions/<str:session_id>/verify/",
        views.ChallengeVerifyView.as_view(),
        name="session-verify",
    ),
    path("totp/", views.TOTPView.as_view(), name="totp"),
    path("totp/confirm/", views.TOTPConfirmView.as_view(), name="totp-confirm"),
    path("keys/", views.KeysView.as_view(), name="keys"),
    path("keys/<str:key_id>/", views.KeyDetailView.as_view(), name="key-detail"),
    path("keys/<str:key_id>/rotate/", views.KeyRotateView.as_view(), name="key-rotate"),
    path("enroll/", views.EnrollView.as_view(), name="enroll"),
]


well_known = [
    path(".well-known/signed-api/keys", views.JWKSView.as_view(), name="signed-api-jwks"),
]
