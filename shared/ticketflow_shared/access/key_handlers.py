"""Issuing and revoking API keys on the issuing service: the key document and its event are
one write (the event in the document's outbox), then the process's ring is updated at once."""

from collections.abc import Callable, Iterable
from datetime import datetime

from ticketflow_shared.access import keys
from ticketflow_shared.access.key_store import KeyStore
from ticketflow_shared.access.principal import Role
from ticketflow_shared.outbox import OutboxFlush, recorded_events

# A key's own version: 1 once issued, 2 once revoked; what its events carry as `sequence`.
ISSUED, REVOKED = 1, 2


class UnknownKey(LookupError):
    pass


class ExpiryInPast(ValueError):
    pass


class KeyIssuer:
    def __init__(
        self,
        store: KeyStore,
        ring: keys.KeyRing,
        now: Callable[[], datetime],
        flush: OutboxFlush,
        source: str,
    ) -> None:
        self.store = store
        self.ring = ring
        self.now = now
        self.flush = flush
        self.source = source

    async def issue(
        self,
        *,
        name: str,
        roles: Iterable[Role],
        departments: Iterable[str],
        expires_at: datetime | None,
        by: str,
    ) -> tuple[keys.ApiKey, str]:
        """A new key and its text (shown once); raise ExpiryInPast for an expiry not ahead."""
        now = self.now()
        if expires_at is not None and expires_at <= now:
            raise ExpiryInPast(expires_at)
        key, text = keys.issue(
            name=name,
            roles=roles,
            departments=departments,
            issued_by=by,
            now=now,
            expires_at=expires_at,
        )
        envelopes = self._envelopes(key.issued_event(), key.key_id, ISSUED)
        entries = await self.store.add_issued(key, envelopes, now)
        self.ring.put(key)
        await self.flush(self.store.collection, key.key_id, entries)
        return key, text

    async def revoke(self, key_id: str, by: str) -> keys.ApiKey:
        """Revoke on every service; revoking a revoked key changes nothing."""
        key = await self.store.get(key_id)
        if key is None:
            raise UnknownKey(key_id)
        if key.revoked_at is not None:
            return key
        now = self.now()
        revoked, event = key.revoke(by, now)
        entries = await self.store.mark_revoked(
            revoked, self._envelopes(event, key_id, REVOKED), now
        )
        self.ring.put(revoked)
        if entries:
            await self.flush(self.store.collection, key_id, entries)
        return (await self.store.get(key_id)) or revoked

    def _envelopes(self, event, key_id: str, version: int):
        envelopes = recorded_events([event], source=self.source, subject=key_id)
        return [envelope.in_sequence(version) for envelope in envelopes]
