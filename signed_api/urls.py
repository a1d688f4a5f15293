"""URLs of signed_api, mounted with ``path("api/auth/", include("signed_api.urls"))``.

Sessions, second factor and self-service key endpoints (DESIGN §5) are added here.
"""

app_name = "signed_api"

urlpatterns: list = []
