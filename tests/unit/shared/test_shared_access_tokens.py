"""People's tokens: signature, time claims, issuer, audience, algorithms, JWKS key rotation."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ticketflow_shared.access.principal import Role
from ticketflow_shared.access.tokens import (
    ClaimNames,
    InvalidToken,
    JwksCache,
    TokenVerifier,
    mint_local_token,
)

SECRET = "unit-test-secret-that-is-long-enough-32"


def verifier(**changes) -> TokenVerifier:
    return TokenVerifier(issuer="ticketflow-local", audience="ticketflow", secret=SECRET, **changes)


def claims(**changes) -> dict:
    now = int(time.time())
    base = {
        "sub": "ana",
        "roles": ["agent"],
        "departments": ["billing"],
        "iss": "ticketflow-local",
        "aud": "ticketflow",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


async def test_a_valid_token_gives_subject_roles_and_departments():
    token = mint_local_token(SECRET, subject="ana", roles=["agent"], departments=["billing"])
    principal = await verifier().verify(token)
    assert (principal.id, principal.kind) == ("ana", "user")
    assert principal.roles == {Role.agent}
    assert principal.departments == {"billing"}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"iss": "someone-else"}, "issuer"),
        ({"aud": "another-app"}, "audience"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"sub": ""}, "subject"),
    ],
)
async def test_a_token_failing_a_check_is_refused(change, why):
    token = jwt.encode(claims(**change), SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken) as refused:
        await verifier().verify(token)
    assert why.split()[0] in str(refused.value).lower() or why in str(refused.value)


async def test_a_token_signed_with_another_secret_is_refused():
    token = jwt.encode(claims(), "another-secret-another-secret-32b", algorithm="HS256")
    with pytest.raises(InvalidToken, match=r"[Ss]ignature"):
        await verifier().verify(token)


async def test_unsigned_and_unexpected_algorithms_are_refused():
    unsigned = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(InvalidToken, match="algorithm"):
        await verifier().verify(unsigned)
    with pytest.raises(InvalidToken, match="not a JWT"):
        await verifier().verify("not-a-token")


async def test_claim_names_are_configuration_and_reach_into_nested_claims():
    token = jwt.encode(
        claims(
            roles=None,
            departments=None,
            realm_access={"roles": ["supervisor", "x"]},
            groups="billing technical",
        ),
        SECRET,
        algorithm="HS256",
    )
    names = ClaimNames(roles="realm_access.roles", departments="groups")
    principal = await verifier(claims=names).verify(token)
    assert principal.roles == {Role.supervisor}
    assert principal.departments == {"billing", "technical"}


class _JwksServer:
    """Serves a JWKS document that the test changes, and counts fetches."""

    def __init__(self) -> None:
        self.document: dict = {"keys": []}
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def publish(self, *keys: tuple[str, object]) -> None:
        entries = []
        for kid, private in keys:
            entry = json.loads(
                jwt.algorithms.get_default_algorithms()[
                    "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
                ].to_jwk(private.public_key())
            )
            entries.append({**entry, "kid": kid, "use": "sig"})
        self.document = {"keys": entries}

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def jwks_server():
    server = _JwksServer()
    yield server
    server.close()


async def test_jwks_keys_verify_rs256_and_es256_and_a_new_kid_is_fetched_once(jwks_server):
    first = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks_server.publish(("k1", first))
    cache = JwksCache(jwks_server.url, refresh_interval=0.0)
    verify = TokenVerifier(issuer="ticketflow-local", audience="ticketflow", jwks=cache).verify

    signed = jwt.encode(claims(), first, algorithm="RS256", headers={"kid": "k1"})
    assert (await verify(signed)).id == "ana"
    assert (await verify(signed)).id == "ana"
    assert jwks_server.fetches == 1  # cached

    # The provider rotates: a token names a key the cache has not seen, so it fetches again.
    second = ec.generate_private_key(ec.SECP256R1())
    jwks_server.publish(("k1", first), ("k2", second))
    rotated = jwt.encode(claims(sub="ben"), second, algorithm="ES256", headers={"kid": "k2"})
    assert (await verify(rotated)).id == "ben"
    assert jwks_server.fetches == 2

    # A key id nobody published is refused; and HS256 is not accepted without a secret.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "k9"})
    with pytest.raises(InvalidToken, match="k9"):
        await verify(forged)
    with pytest.raises(InvalidToken, match="algorithm"):
        await verify(jwt.encode(claims(), SECRET, algorithm="HS256"))


async def test_unknown_key_ids_do_not_make_the_cache_fetch_on_every_request(jwks_server):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks_server.publish(("k1", key))
    cache = JwksCache(jwks_server.url, refresh_interval=60.0)
    verify = TokenVerifier(issuer="ticketflow-local", audience="ticketflow", jwks=cache).verify
    for kid in ("a", "b", "c", "d"):
        token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": kid})
        with pytest.raises(InvalidToken):
            await verify(token)
    assert jwks_server.fetches == 1
