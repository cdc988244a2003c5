"""Knowledge-base ranking: BM25 over zh and en tokens."""

from intake.domain.knowledge import Article, rank

ARTICLES = [
    Article("reset-password", "How to reset your password", "Open settings, choose password."),
    Article("refund-time", "When will my refund arrive", "Refunds take 5 business days."),
    Article("zh-refund", "退款多久到账", "退款一般在五个工作日内到账。"),
    Article("shipping", "Shipping times", "Orders ship within two days; tracking by email."),
]


def test_the_matching_english_article_ranks_first():
    hits = rank(ARTICLES, "I forgot my password, how do I reset it?")
    assert hits[0].article_id == "reset-password"


def test_chinese_query_finds_the_chinese_article():
    hits = rank(ARTICLES, "我的退款什么时候到账")
    assert hits[0].article_id == "zh-refund"


def test_articles_sharing_no_term_are_left_out_and_limit_holds():
    assert rank(ARTICLES, "xylophone") == []
    assert rank(ARTICLES, "") == []
    assert len(rank(ARTICLES, "refund password shipping my", limit=2)) == 2


def test_title_terms_weigh_more_than_body_terms():
    a = Article("a", "tracking", "other words here")
    b = Article("b", "other", "tracking words here")
    assert [h.article_id for h in rank([b, a], "tracking")] == ["a", "b"]
