from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignedApiConfig(AppConfig):
    """The Django app of ``signed_api``.

    ``ready()`` registers the system checks and the signal receivers; nothing here reads a
    setting.
    """

    name = "signed_api"
    verbose_name = _("Signed API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_save

        # Importing checks registers them; logsafe escapes what every signed_api logger writes.
        from . import checks, logsafe, signals  # noqa: F401
        from .models import ApiKey, EnrollmentKey, Session

        pre_save.connect(
            signals.user_about_to_save, sender=get_user_model(),
            dispatch_uid="signed_api_user_about_to_save",
        )
        post_save.connect(
            signals.user_saved, sender=get_user_model(), dispatch_uid="signed_api_user_saved"
        )
        for model in (ApiKey, Session, EnrollmentKey):
            post_delete.connect(
                signals.credential_deleted,
                sender=model,
                dispatch_uid=f"signed_api_{model.__name__}_deleted",
            )
