"""Which handler takes each event a service consumes: one registry per queue, from which the
queue's bindings are derived, so a handler cannot be written without its subscription or a
subscription without its handler. An event of a type nobody registered (a binding left from
an older version) is refused as invalid, so the bus dead-letters it at once."""

from collections.abc import Awaitable, Callable

from ticketflow_shared.events import Envelope, InvalidEvent, Payload

Handler = Callable[[Envelope, Payload], Awaitable[None]]


class EventHandlers:
    def __init__(self) -> None:
        self._by_type: dict[str, Handler] = {}

    def on(self, *models: type[Payload], handler: Handler) -> "EventHandlers":
        for model in models:
            if model.event_type in self._by_type:
                raise ValueError(f"{model.event_type} has a handler already")
            self._by_type[model.event_type] = handler
        return self

    @property
    def event_types(self) -> list[str]:
        return list(self._by_type)

    async def __call__(self, envelope: Envelope, payload: Payload) -> None:
        handler = self._by_type.get(envelope.type)
        if handler is None:
            raise InvalidEvent(f"no handler here for {envelope.type}")
        await handler(envelope, payload)
