"""``manage.py signed_api_revokekey KEY_ID``: revoke at once, in every process. Irreversible."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ...models import ApiKey
from ...services import keys


class Command(BaseCommand):
    help = "Revoke an API key now (irreversible)."

    def add_arguments(self, parser):
        parser.add_argument("key_id")

    def handle(self, *args, **options):
        try:
            key = ApiKey.objects.get(key_id=options["key_id"])
        except ApiKey.DoesNotExist:
            raise CommandError(f"no key {options['key_id']!r}") from None
        if keys.revoke_api_key(key, via="command"):
            self.stdout.write(f"revoked {key.key_id}")
        else:
            self.stdout.write(f"{key.key_id} was already revoked")
