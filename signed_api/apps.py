from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignedApiConfig(AppConfig):
    """The Django app of ``signed_api``.

    ``ready()`` registers the system checks and the signal receivers, and puts the second
    factor on the default admin site's login (``admin_login.install``) unless the project gave
    that site a login form or template of its own; nothing here reads a setting.
    """

    name = "signed_api"
    verbose_name = _("Signed API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_save

        # Importing checks registers them; logsafe escapes what every signed_api logger writes.
        from . import checks, logsafe, receivers  # noqa: F401
        from .models import ApiKey, EnrollmentKey, Session

        pre_save.connect(
            receivers.user_about_to_save, sender=get_user_model(),
            dispatch_uid="signed_api_user_about_to_save",
        )
        post_save.connect(
            receivers.user_saved, sender=get_user_model(), dispatch_uid="signed_api_user_saved"
        )
        for model in (ApiKey, Session, EnrollmentKey):
            post_save.connect(
                receivers.credential_saved,
                sender=model,
                dispatch_uid=f"signed_api_{model.__name__}_saved",
            )
            post_delete.connect(
                receivers.credential_deleted,
                sender=model,
                dispatch_uid=f"signed_api_{model.__name__}_deleted",
            )
        self._protect_admin_login()
        self._describe_for_openapi()

    @staticmethod
    def _describe_for_openapi():
        """With drf-spectacular installed (the ``openapi`` extra), register the extensions that
        describe the signature scheme and the endpoints; without it, import nothing of it."""
        from importlib.util import find_spec

        if find_spec("drf_spectacular") is not None:
            from . import openapi  # noqa: F401 - the extensions register as they are defined

    def _protect_admin_login(self):
        from django.apps import apps
        from django.contrib.auth.signals import user_logged_in

        if not apps.is_installed("django.contrib.admin"):
            return
        from django.contrib import admin

        from . import admin_login

        user_logged_in.connect(admin_login.user_logged_in,
                               dispatch_uid="signed_api_admin_login_marked")
        admin_login.install(admin.site)
