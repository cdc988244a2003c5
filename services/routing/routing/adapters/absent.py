"""What a process alone on FerretDB knows is not there, so as not to ask the store again.

Such a process is the only writer of its collections (`lone_on_ferretdb`): a document it
found missing, deleted, or knows was never written, stays missing until it writes it. What
is known of a document is dropped as a write of it begins, and learnt only if no write of
it began or ended while the caller looked, nor is under way; it is bounded, and what was
forgotten is read again. Only adapters of a lone process consult it.
"""

import contextlib
from collections import Counter, OrderedDict
from collections.abc import Iterator

Mark = tuple[int, int]


class KnownAbsent:
    """Documents, by `_id`, known not to exist."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._absent: OrderedDict[str, None] = OrderedDict()
        self._writes: OrderedDict[str, int] = OrderedDict()  # beginnings and ends, lately
        self._under_way: Counter[str] = Counter()
        self._forgotten = 0  # writes dropped from `_writes`: a mark taken before is void

    def mark(self, doc_id: str) -> Mark:
        """To pass to `note` after looking: where the document's writes stand now."""
        return self._writes.get(doc_id, 0), self._forgotten

    def note(self, doc_id: str, since: Mark) -> None:
        """`doc_id` was missing when looked at, `since` being its mark before the look."""
        if self._under_way[doc_id] or self.mark(doc_id) != since:
            return  # a write of it began or ended meanwhile, or is under way
        self._absent[doc_id] = None
        self._absent.move_to_end(doc_id)
        while len(self._absent) > self.LIMIT:
            self._absent.popitem(last=False)

    @contextlib.contextmanager
    def writing(self, doc_id: str) -> Iterator[None]:
        """Around a write of `doc_id` that may create it: what was known of it is dropped."""
        self._absent.pop(doc_id, None)
        self._under_way[doc_id] += 1
        self._count(doc_id)
        try:
            yield
        finally:
            self._count(doc_id)
            self._under_way[doc_id] -= 1
            if not self._under_way[doc_id]:
                del self._under_way[doc_id]

    def _count(self, doc_id: str) -> None:
        self._writes[doc_id] = self._writes.get(doc_id, 0) + 1
        self._writes.move_to_end(doc_id)
        while len(self._writes) > self.LIMIT:
            self._writes.popitem(last=False)
            self._forgotten += 1

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._absent
