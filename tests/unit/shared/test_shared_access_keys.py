"""API keys, scopes and rate budgets (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from ticketflow_shared.access.keys import InvalidKey, KeyRing, issue
from ticketflow_shared.access.principal import Principal, Role, Scope, scope_filter
from ticketflow_shared.access.ratelimit import RateLimiter, retry_after

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def new_key(**changes):
    fields = {
        "name": "crm",
        "roles": [Role.integration],
        "departments": [],
        "issued_by": "user:admin",
        "now": NOW,
        **changes,
    }
    return issue(**fields)


def test_an_issued_key_opens_as_its_principal_and_only_its_hash_is_kept():
    key, text = new_key()
    ring = KeyRing([key])
    principal = ring.verify(text, NOW)
    assert (principal.kind, principal.id, principal.roles) == (
        "key",
        key.key_id,
        {Role.integration},
    )
    secret = text.removeprefix(f"tfk_{key.key_id}_")  # may itself hold a `_`
    assert secret not in key.secret_hash and len(key.secret_hash) == 64


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t + "x",
        lambda t: "tfk_nonsense",
    ],
)
def test_a_wrong_or_malformed_key_is_refused(mangle):
    key, text = new_key()
    with pytest.raises(InvalidKey):
        KeyRing([key]).verify(mangle(text), NOW)


def test_revoked_and_expired_keys_are_refused():
    key, text = new_key(expires_at=NOW + timedelta(days=1))
    ring = KeyRing([key])
    assert ring.verify(text, NOW + timedelta(hours=23))
    with pytest.raises(InvalidKey, match="expired"):
        ring.verify(text, NOW + timedelta(days=1))
    revoked, event = key.revoke("user:admin", NOW)
    ring.put(revoked)
    assert event.key_id == key.key_id
    with pytest.raises(InvalidKey, match="revoked"):
        ring.verify(text, NOW)


def principal(*roles: Role, departments=()) -> Principal:
    return Principal("p", "user", frozenset(roles), frozenset(departments))


def test_scopes_by_role():
    assert principal(Role.admin).scope().everything
    agent = principal(Role.agent, departments=["billing"]).scope()
    assert agent.allows(["billing"]) and not agent.allows(["technical"])
    assert principal(Role.supervisor, departments=["*"]).scope().everything
    integration = Principal("k1", "key", frozenset({Role.integration}), frozenset({"billing"}))
    scope = integration.scope()
    assert scope.allows(["technical"], created_by="key:k1")
    assert not scope.allows(["billing"], created_by="key:k2")  # departments do not widen it
    assert principal(Role.monitoring).scope().is_empty


def test_scope_filters_for_the_store():
    assert scope_filter(Scope(everything=True)) == {}
    assert scope_filter(Scope(departments=frozenset({"b", "a"}))) == {
        "departments": {"$in": ["a", "b"]}
    }
    both = scope_filter(Scope(departments=frozenset({"a"}), creator="key:k"))
    assert both == {"$or": [{"departments": {"$in": ["a"]}}, {"created_by": "key:k"}]}


def test_rate_limiter_allows_a_burst_then_the_rate():
    clock = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: clock[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("a")
    assert wait == pytest.approx(0.5)
    assert retry_after(wait) == "1"
    assert limiter.take("b") == 0.0  # budgets are per credential
    clock[0] += 0.5
    assert limiter.take("a") == 0.0
