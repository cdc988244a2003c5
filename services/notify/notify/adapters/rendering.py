"""Renders templates in worker processes that can be stopped.

A template is operator-supplied code: a loop of a few hundred million steps, or a value that
eats all memory, must neither block notify's event loop nor run on. Each render runs in a
pebble worker with a time limit (the worker is killed and replaced when it is exceeded) and a
memory limit. Threads would not do: a thread cannot be stopped, and it would hold the GIL.
"""

import asyncio
import multiprocessing
import resource
from typing import Any

from pebble import ProcessExpired, ProcessPool

from notify.domain import catalog, templates
from notify.domain.templates import RenderedEmail, Template, TemplateInvalid


def _limit_memory(max_bytes: int) -> None:
    """Worker initializer: too much allocation is a MemoryError, not the OOM killer."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class ProcessRenderer:
    def __init__(self, *, timeout_seconds: float, workers: int, memory_bytes: int) -> None:
        self.timeout_seconds = timeout_seconds
        self._pool = ProcessPool(
            max_workers=workers,
            initializer=_limit_memory,
            initargs=(memory_bytes,),
            # Not fork: the parent runs threads (telemetry, the mail client) a fork would copy.
            context=multiprocessing.get_context("spawn"),
        )

    async def render(self, template: Template, context: dict[str, Any]) -> RenderedEmail:
        return await self._run(templates.render, template, context)

    async def check(self, template: Template) -> None:
        await self._run(catalog.check, template)

    async def _run(self, function: Any, *args: Any) -> Any:
        future = self._pool.schedule(function, args=args, timeout=self.timeout_seconds)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            raise TemplateInvalid(
                None, f"rendering took longer than {self.timeout_seconds:g} s and was stopped"
            ) from exc
        except ProcessExpired as exc:
            raise TemplateInvalid(None, f"the renderer process died ({exc})") from exc
        except MemoryError as exc:
            raise TemplateInvalid(None, "rendering needed more memory than allowed") from exc

    async def warm_up(self) -> None:
        """Start the workers now rather than on the first ticket."""
        for template in catalog.DEFAULT_TEMPLATES.values():
            await self.check(template)

    async def close(self) -> None:
        self._pool.stop()
        await asyncio.to_thread(self._pool.join, 10)
