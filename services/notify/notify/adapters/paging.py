"""Departments' paging addresses: one document per department, `_id` its name."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from notify.domain.paging import PagingList

PAGING = "paging"


class MongoPagingRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[PAGING]

    async def get(self, department: str) -> PagingList:
        doc = await self.collection.find_one({"_id": department})
        return PagingList(department=department) if doc is None else _paging(doc)

    async def put(self, paging: PagingList) -> PagingList:
        # The whole list replaces the old one: what an operator sends is who gets paged.
        doc = await self.collection.find_one_and_replace(
            {"_id": paging.department},
            {
                "emails": list(paging.emails),
                "updated_at": paging.updated_at,
                "updated_by": paging.updated_by,
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return _paging(doc)


def _paging(doc: dict) -> PagingList:
    return PagingList(
        department=doc["_id"],
        emails=tuple(doc.get("emails") or ()),
        updated_at=doc.get("updated_at"),
        updated_by=doc.get("updated_by"),
    )
