"""The bench's credentials: an admin token signed with the platform's local secret (from
`TICKETFLOW_AUTH_JWT_SECRET`, else the file `deploy/up` keeps it in)."""

import functools
import os
from pathlib import Path

from ticketflow_shared.access.tokens import mint_local_token

SECRETS = Path(os.environ.get("TICKETFLOW_HOME", Path.home() / ".cache" / "ticketflow")) / "secrets"


def _secret() -> str:
    secret = os.environ.get("TICKETFLOW_AUTH_JWT_SECRET")
    if secret:
        return secret
    auth_env = SECRETS / "auth.env"
    for line in auth_env.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "TICKETFLOW_AUTH_JWT_SECRET":
            return value.strip()
    raise SystemExit(f"no TICKETFLOW_AUTH_JWT_SECRET in the environment or {auth_env}")


@functools.cache
def headers() -> dict[str, str]:
    token = mint_local_token(_secret(), subject="bench", roles=["admin"], ttl_seconds=7 * 86400)
    return {"Authorization": f"Bearer {token}"}
