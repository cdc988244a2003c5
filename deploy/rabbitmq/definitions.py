"""RabbitMQ definitions: one broker user per service, allowed only what its bus does.

Prints a definitions document (https://www.rabbitmq.com/docs/definitions) on stdout, which
docker-compose renders for the node to load at boot; `--grants` prints the permissions only,
for `deploy/rabbitmq.sh users` to set with rabbitmqctl on the local node. Passwords come from
`TICKETFLOW_AMQP_PASSWORD_<SERVICE>` (and `TICKETFLOW_AMQP_PASSWORD_ADMIN` with --fresh-node);
only their salted hashes are printed.

What a service's bus (shared/ticketflow_shared/bus.py) does, and the permission each needs:
- the topic exchange `<exchange>` and its dead-letter exchange `<exchange>.dlx` are made
  here, so services find them (a passive declare needs no permission) and may not configure,
  hence not delete, them;
- it declares its own queues `<prefix><service>.<purpose>` and `<...>.dlq` (configure), binds
  them to the two exchanges (write on the queue, read on the exchange), consumes and peeks at
  them (read); a queue declared with a dead-letter exchange also needs write on that exchange;
- it publishes its events to `<exchange>` (write; reporting publishes nothing) and replays
  dead letters through the default exchange, `amq.default` to permission checks (write).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys

SERVICES = ("intake", "routing", "notify", "reporting")
PUBLISHERS = frozenset({"intake", "routing", "notify"})
DEAD_LETTER_EXCHANGE_SUFFIX = ".dlx"
VHOST = "/"
ADMIN = "ticketflow-admin"
# What tests/support.py's Namespace names: exchange `test-<token>`, queue prefix `test-<token>-`.
TEST_EXCHANGE = "test-[0-9a-f]+"
TEST_PREFIX = "test-[0-9a-f]+-"
PURPOSE = "[a-z][a-z0-9-]*"


def user_name(service: str) -> str:
    return f"ticketflow-{service}"


def password_variable(who: str) -> str:
    return f"TICKETFLOW_AMQP_PASSWORD_{who.upper()}"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def permissions(service: str, exchange: str, prefix: str, test_names: bool) -> dict[str, str]:
    """configure/write/read regexes for one service's user."""
    exchanges = "|".join([re.escape(exchange)] + ([TEST_EXCHANGE] if test_names else []))
    prefixes = "|".join([re.escape(prefix)] + ([TEST_PREFIX] if test_names else []))
    own = rf"({prefixes}){re.escape(service)}\.{PURPOSE}(\.dlq)?"
    dlx = rf"({exchanges}){re.escape(DEAD_LETTER_EXCHANGE_SUFFIX)}"
    published = [f"({exchanges})"] if service in PUBLISHERS else []
    return {
        "configure": f"^{own}$",
        "write": "^(" + "|".join([own, dlx, *published, r"amq\.default"]) + ")$",
        "read": "^(" + "|".join([own, f"({exchanges})", dlx]) + ")$",
    }


def definitions(
    passwords: dict[str, str],
    exchange: str,
    prefix: str,
    *,
    test_names: bool = False,
    fresh_node: bool = False,
) -> dict:
    """The document: users, their permissions and the two exchanges (plus vhost and admin)."""
    users = [_user(user_name(service), passwords[service]) for service in SERVICES]
    grants = [
        {"user": user_name(service), "vhost": VHOST}
        | permissions(service, exchange, prefix, test_names)
        for service in SERVICES
    ]
    document: dict = {}
    if fresh_node:
        # A node that loads definitions at boot creates neither `guest` nor the default vhost.
        document["vhosts"] = [{"name": VHOST}]
        users.append(_user(ADMIN, passwords["admin"], tags=["administrator"]))
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        grants.append({"user": ADMIN, "vhost": VHOST} | everything)
    document["users"] = users
    document["permissions"] = grants
    document["exchanges"] = [
        _exchange(exchange, "topic"),
        _exchange(exchange + DEAD_LETTER_EXCHANGE_SUFFIX, "direct"),
    ]
    return document


def _user(name: str, password: str, tags: list[str] | None = None) -> dict:
    return {
        "name": name,
        "password_hash": password_hash(password),
        "hashing_algorithm": "rabbit_password_hashing_sha256",
        "tags": tags or [],
    }


def _exchange(name: str, kind: str) -> dict:
    return {
        "name": name,
        "vhost": VHOST,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--test-names", action="store_true", help="also allow the test suite's names"
    )
    parser.add_argument(
        "--fresh-node", action="store_true", help="also the default vhost and an administrator"
    )
    parser.add_argument(
        "--grants", action="store_true", help="print 'user configure write read' lines instead"
    )
    args = parser.parse_args()
    needed = [*SERVICES, *(["admin"] if args.fresh_node else [])]
    missing = [name for name in map(password_variable, needed) if not os.environ.get(name)]
    if missing:
        sys.exit(f"definitions.py: set {', '.join(missing)}")
    document = definitions(
        {who: os.environ[password_variable(who)] for who in needed},
        os.environ.get("TICKETFLOW_EXCHANGE") or "ticketflow",
        os.environ.get("TICKETFLOW_QUEUE_PREFIX", ""),
        test_names=args.test_names,
        fresh_node=args.fresh_node,
    )
    if args.grants:
        for grant in document["permissions"]:
            print("\t".join(grant[key] for key in ("user", "configure", "write", "read")))
        return
    json.dump(document, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
