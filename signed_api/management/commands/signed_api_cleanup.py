"""``manage.py signed_api_cleanup``: delete what can never be used again.

Expired or revoked sessions, expired login challenges, remember-me families (with their
tokens) that expired or were revoked, security events older than ``EVENT_RETENTION_DAYS``, and
expired entries of the shared store's table (nonces, counters, state tokens; in batches of
``--batch`` rows, so a large backlog never holds a long lock; Redis expires its own).
Safe to run as often as you like (e.g. hourly from cron).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from ...conf import signed_api_settings
from ...models import LoginChallenge, RememberFamily, SecurityEvent, Session
from ...services.events import MAX_RETENTION_DAYS
from ...stores import StoreUnavailable, get_store
from ...stores.database import MAX_BATCH, PURGE_BATCH


class Command(BaseCommand):
    help = "Delete expired sessions, challenges, remember-me tokens and old security events."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=PURGE_BATCH,
            help=f"expired store rows deleted per statement (default {PURGE_BATCH})",
        )

    def handle(self, *args, **options):
        batch = options["batch"]
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch must be from 1 to {MAX_BATCH}")
        now = timezone.now()
        # Dead sessions in batches of primary keys, each its own transaction: a session has a
        # post_delete receiver, so Django fetches every row it deletes, and one delete of them
        # all held 150,000 rows in memory (390 MB) and one transaction for half a minute.
        sessions = 0
        while True:
            chunk = list(Session.objects.dead().order_by("pk").values_list("pk", flat=True)[:batch])
            if not chunk:
                break
            deleted, _ = Session.objects.filter(pk__in=chunk).delete()
            sessions += deleted
            if len(chunk) < batch:
                break
        challenges, _ = LoginChallenge.objects.filter(expires_at__lte=now).delete()
        families = RememberFamily.objects.filter(
            Q(expires_at__lte=now) | Q(revoked_at__isnull=False)
        )
        # Families whose sessions still live keep their rows until those sessions end, so a
        # theft found later can still revoke everything the family produced.
        families = families.exclude(sessions__in=Session.objects.live())
        removed_families, detail = families.delete()
        days = int(signed_api_settings.EVENT_RETENTION_DAYS)
        if not 1 <= days <= MAX_RETENTION_DAYS:  # signed_api.E019 says so too
            raise CommandError(f"EVENT_RETENTION_DAYS must be from 1 to {MAX_RETENTION_DAYS}")
        retention = timedelta(days=days)
        events, _ = SecurityEvent.objects.filter(created_at__lt=now - retention).delete()
        entries = 0
        store = get_store()
        try:
            while True:
                purged = store.purge_expired(batch)
                entries += purged
                if purged < batch:
                    break
        except StoreUnavailable as exc:
            raise CommandError(f"the shared store is unavailable: {exc}") from None
        self.stdout.write(
            f"deleted {sessions} session(s), {challenges} challenge(s), "
            f"{detail.get('signed_api.RememberFamily', 0)} remember-me famil(ies) "
            f"with {detail.get('signed_api.RememberToken', 0)} token(s), "
            f"{events} security event(s), {entries} expired store entr(ies)"
        )
