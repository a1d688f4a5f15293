"""``manage.py signed_api_ohttp_keys ACTION [--key-id N]``: the Oblivious HTTP gateway's keys.

- ``generate``: a new X25519 key (the lowest free key id, or ``--key-id``), its private key
  sealed under the master keys; prints the key id and the public key configuration, never the
  private key. Served from the next reload of every process (at most a minute).
- ``list``: every key the gateway knows, settings and derived ones included, with its state:
  ``active`` (served and decrypts), ``retired`` (decrypts until ``OHTTP_KEY_LIFETIME`` has
  passed since it was retired), ``expired`` (ignored).
- ``retire --key-id N``: stop serving a stored key; it keeps decrypting for the key lifetime.
- ``prune``: delete the stored keys that expired, so their ids are free again.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ... import ohttp_keys
from ...core import hpke, ohttp
from ...models import OHTTPKey

ACTIONS = ("generate", "list", "retire", "prune")


class Command(BaseCommand):
    help = "Generate, list, retire or prune the Oblivious HTTP gateway keys."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("--key-id", type=int, default=None,
                            help="0-255: the key to make (generate) or retire (retire)")

    def handle(self, *args, **options):
        action, key_id = options["action"], options["key_id"]
        if key_id is not None and not 0 <= key_id <= 255:
            raise CommandError("--key-id must be from 0 to 255")
        if action == "generate":
            self._generate(key_id)
        elif action == "list":
            self._list()
        elif action == "retire":
            if key_id is None:
                raise CommandError("retire needs --key-id")
            self._retire(key_id)
        else:
            self._prune()

    # -- generate ---------------------------------------------------------------------------
    def _settings_ids(self) -> set[int]:
        try:
            return {e.key_id for e in ohttp_keys.entries(include_expired=True)
                    if e.source == ohttp_keys.FROM_SETTINGS}
        except Exception as exc:  # noqa: BLE001 - OHTTP_KEYS is malformed (E015-E017)
            raise CommandError(f"SIGNED_API['OHTTP_KEYS'] is not usable: {exc}") from None

    def _generate(self, key_id: int | None) -> None:
        reserved = self._settings_ids()
        now = timezone.now()
        lifetime = timedelta(seconds=ohttp_keys.lifetime())
        with transaction.atomic():
            rows = {row.key_id: row for row in OHTTPKey.objects.select_for_update()}
            expired = {i for i, row in rows.items()
                       if row.retired_at is not None and row.retired_at + lifetime <= now}
            if key_id is None:
                free = [i for i in range(256)
                        if i not in reserved and (i not in rows or i in expired)]
                if not free:
                    raise CommandError("all 256 key ids are in use; retire and prune some")
                key_id = free[0]
            elif key_id in reserved:
                raise CommandError(f"key id {key_id} is an OHTTP_KEYS entry of the settings")
            elif key_id in rows and key_id not in expired:
                raise CommandError(f"key id {key_id} is in use (retire it and wait for the key "
                                   "lifetime, then prune)")
            if key_id in rows:  # an expired key whose id is taken again
                rows[key_id].delete()
            private = hpke.generate_private_key()
            key = ohttp.GatewayKey.from_private_key(key_id, private)
            row = OHTTPKey(
                key_id=key_id,
                kem_id=key.config.kem_id,
                suites=[list(pair) for pair in key.config.suites],
                public_key=key.config.public_key.hex(),
            )
            row.set_private_key(private)
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                raise CommandError(f"key id {key_id} was taken meanwhile; try again") from None
        self.stdout.write(f"generated OHTTP key {key_id}")
        self.stdout.write(f"key config (hex): {key.config.encode().hex()}")
        self.stdout.write(f"fingerprint: {ohttp_keys.public_key_fingerprint(key.config)}")

    # -- list ---------------------------------------------------------------------------------
    def _list(self) -> None:
        try:
            found = ohttp_keys.entries(include_expired=True)
        except Exception as exc:  # noqa: BLE001 - malformed settings, a key that does not open
            raise CommandError(f"the OHTTP keys cannot be read: {exc}") from None
        rows = [("id", "source", "state", "kem", "suites", "created", "retired", "fingerprint",
                 "public key")]
        for entry in found:
            config = entry.key.config
            rows.append((
                str(entry.key_id), entry.source, entry.state, f"{config.kem_id:#06x}",
                ",".join(f"{kdf:#06x}/{aead:#06x}" for kdf, aead in config.suites),
                _when(entry.created_at), _when(entry.retired_at),
                ohttp_keys.public_key_fingerprint(config), config.public_key.hex(),
            ))
        # Each column as wide as its longest value (a key with two suites is wider than one).
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
            self.stdout.write("  ".join([*cells, row[-1]]))

    # -- retire, prune -------------------------------------------------------------------------
    def _retire(self, key_id: int) -> None:
        with transaction.atomic():
            row = OHTTPKey.objects.select_for_update().filter(key_id=key_id).first()
            if row is None:
                if key_id in self._settings_ids():
                    raise CommandError(f"key {key_id} comes from OHTTP_KEYS: set "
                                       "\"advertised\": False on it in the settings instead")
                raise CommandError(f"no stored OHTTP key {key_id}")
            if row.retired_at is not None:
                self.stdout.write(f"OHTTP key {key_id} was already retired at "
                                  f"{_when(row.retired_at)}")
                return
            if not OHTTPKey.objects.filter(retired_at__isnull=True).exclude(pk=row.pk).exists():
                self.stdout.write("no other stored key is active: the gateway now serves "
                                  "the settings key or the derived one")
            row.retired_at = timezone.now()
            row.save(update_fields=["retired_at"])
        until = row.retired_at + timedelta(seconds=ohttp_keys.lifetime())
        self.stdout.write(f"retired OHTTP key {key_id}: no longer served, decrypts until "
                          f"{_when(until)}")

    def _prune(self) -> None:
        cutoff = timezone.now() - timedelta(seconds=ohttp_keys.lifetime())
        with transaction.atomic():
            doomed = list(OHTTPKey.objects.filter(retired_at__lte=cutoff))
            for row in doomed:
                row.delete()  # one by one: post_delete drops this process's cache
        self.stdout.write(f"pruned {len(doomed)} expired OHTTP key(s)")


def _when(value) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"
