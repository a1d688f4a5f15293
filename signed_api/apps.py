from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignedApiConfig(AppConfig):
    """The Django app of ``signed_api``.

    ``ready()`` is where system checks and signal handlers get registered once they exist;
    nothing here reads a setting.
    """

    name = "signed_api"
    verbose_name = _("Signed API")
    default_auto_field = "django.db.models.BigAutoField"
