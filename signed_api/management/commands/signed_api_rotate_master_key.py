"""``manage.py signed_api_rotate_master_key``: re-encrypt every stored secret under the newest
``MASTER_KEYS`` entry.

Runs in batches, each in its own transaction with the rows locked; a secret already under the
newest key is left alone, so the command is idempotent and safe to run again after an
interruption. Afterwards (and only after it reports nothing left), the old master key can be
removed from ``MASTER_KEYS``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...core.keyring import KeyringError
from ...models import ApiKey, EnrollmentKey, OHTTPKey, Session, TOTPDevice
from ...state import keyring
from ...stores.database import MAX_BATCH

# (model, [(field, context attribute)])
SEALED = [
    (
        ApiKey,
        [("secret_encrypted", "_context"), ("previous_secret_encrypted", "_previous_context")],
    ),
    (Session, [("secret_encrypted", "_context")]),
    (EnrollmentKey, [("secret_encrypted", "_context")]),
    (TOTPDevice, [("seed_encrypted", "_context")]),
    (OHTTPKey, [("private_key_encrypted", "_context")]),
]


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the newest master key (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        ring = keyring()
        size = options["batch_size"]
        if not 1 <= size <= MAX_BATCH:
            raise CommandError(f"--batch-size must be from 1 to {MAX_BATCH}")
        total_changed = 0
        failures = []
        for model, fields in SEALED:
            changed = 0
            last_pk = 0
            while True:
                with transaction.atomic():
                    batch = list(
                        model.objects.select_for_update().filter(pk__gt=last_pk).order_by("pk")[:size]
                    )
                    if not batch:
                        break
                    for row in batch:
                        updates = {}
                        for field, context_attr in fields:
                            token = getattr(row, field)
                            if not token:
                                continue
                            try:
                                if not ring.needs_rotation(token):
                                    continue
                                context = getattr(row, context_attr)
                                plain = ring.decrypt(token, context=context)
                                updates[field] = ring.encrypt(plain, context=context)
                            except KeyringError as exc:
                                failures.append(f"{model.__name__} {row.pk} {field}: {exc}")
                        if updates:
                            # A plain UPDATE: the secret itself is unchanged, so no cache needs
                            # to be invalidated and no state token changes.
                            model.objects.filter(pk=row.pk).update(**updates)
                            changed += 1
                    last_pk = batch[-1].pk
            self.stdout.write(f"{model._meta.verbose_name_plural}: {changed} re-encrypted")
            total_changed += changed
        if failures:
            for line in failures:
                self.stderr.write(line)
            raise CommandError(
                f"{len(failures)} secret(s) could not be decrypted with any master key; "
                "keep the old master key in MASTER_KEYS until they are dealt with"
            )
        self.stdout.write(f"done: {total_changed} row(s) now sealed under the newest master key")
