"""Thin HTTP routes for the knowledge base: articles as data (zh and en), and search."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from intake.adapters.kb_articles import MongoKnowledgeBase, StoredArticle
from intake.domain.errors import IntakeError
from intake.domain.knowledge import Article
from intake.handlers import now_ms
from intake.kb_schemas import (
    ArticleHit,
    ArticleHits,
    ArticleId,
    ArticleList,
    ArticleRead,
    ArticleUpdate,
    SearchQuery,
)
from ticketflow_shared.access.guard import Admin, Caller
from ticketflow_shared.errors import NotFound

kb_router = APIRouter(prefix="/kb", tags=["knowledge base"])
# Within the request deadline; the first index of a process loads Chinese segmentation.


class ArticleNotFound(IntakeError, NotFound):
    def __init__(self, article_id: str) -> None:
        super().__init__(f"article {article_id} not found")


def _kb(request: Request) -> MongoKnowledgeBase:
    return request.app.state.knowledge


Knowledge = Annotated[MongoKnowledgeBase, Depends(_kb)]


@kb_router.put("/articles/{article_id}", summary="Create or replace an article")
async def put_article(
    article_id: ArticleId, body: ArticleUpdate, kb: Knowledge, caller: Admin
) -> ArticleRead:
    stored = StoredArticle(
        Article(article_id, body.title, body.body), body.language, now_ms(), caller.actor
    )
    return _read(await kb.put(stored))


@kb_router.get("/articles", summary="Every article")
async def list_articles(kb: Knowledge, _: Caller) -> ArticleList:
    articles = await kb.all()
    return ArticleList(data=[_read(a) for a in articles], count=len(articles))


@kb_router.get("/articles/{article_id}", summary="One article")
async def get_article(article_id: str, kb: Knowledge, _: Caller) -> ArticleRead:
    stored = await kb.get(article_id)
    if stored is None:
        raise ArticleNotFound(article_id)
    return _read(stored)


@kb_router.delete("/articles/{article_id}", status_code=204, summary="Delete an article")
async def delete_article(article_id: str, kb: Knowledge, _: Admin) -> Response:
    if not await kb.delete(article_id):
        raise ArticleNotFound(article_id)
    return Response(status_code=204)


@kb_router.get("/search", summary="Articles ranked for a question (BM25 over zh+en words)")
async def search(
    q: Annotated[SearchQuery, Query()],
    kb: Knowledge,
    _: Caller,
    limit: Annotated[int, Query(ge=1, le=20)] = 3,
) -> ArticleHits:
    # Waits for a re-index under way (jieba's first load takes seconds): the request
    # deadline bounds the wait, answering 503 with Retry-After like any overload.
    index = await kb.ready()
    hits = index.rank(q, limit) if index else []
    data = [ArticleHit(id=h.article_id, title=h.title, score=h.score) for h in hits]
    return ArticleHits(data=data, count=len(data))


def _read(stored: StoredArticle) -> ArticleRead:
    article = stored.article
    return ArticleRead(
        id=article.article_id,
        title=article.title,
        body=article.body,
        language=stored.language,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )
