"""What the ASGI middlewares share: answering a request themselves, before the app runs."""

import json

from starlette.types import Send


async def send_detail(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Answer `{"detail": detail}` with `status` and any extra headers."""
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.encode(), value.encode("latin-1")) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
