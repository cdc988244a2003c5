"""Category classifier: plain-array model matches scikit-learn and generalises a little."""

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from intake.adapters.classifier_training import fit, train
from intake.domain.classifier import Example, LinearModel
from intake.domain.triage_text import tokens

ROWS = {
    "billing": [
        "charged twice for my order",
        "refund has not arrived",
        "invoice amount is wrong",
        "我被重复扣款了",
        "退款还没到账",
        "发票金额不对",
        "cancel my subscription payment",
        "信用卡扣费错误",
    ],
    "technical": [
        "the app crashes on start",
        "error 500 when uploading",
        "page does not load",
        "应用打开就闪退",
        "上传文件报错",
        "网页加载不出来",
        "the sync feature is broken",
        "软件更新后无法启动",
    ],
    "account": [
        "I cannot log in to my account",
        "reset my password please",
        "change my email address",
        "账号登录不了",
        "忘记密码了怎么重置",
        "修改绑定的邮箱",
        "delete my account",
        "账户被锁定了",
    ],
}
EXAMPLES = [Example(text, "", cat) for cat, texts in ROWS.items() for text in texts]


def test_plain_arrays_reproduce_sklearn_probabilities():
    model = fit(EXAMPLES)
    vectorizer = TfidfVectorizer(analyzer=tokens)
    matrix = vectorizer.fit_transform([e.text for e in EXAMPLES])
    reference = LogisticRegression(max_iter=1000, C=10.0).fit(
        matrix, [e.category for e in EXAMPLES]
    )
    for text in ["refund for order please", "登录密码错误", "app 报错 crash"]:
        expected = reference.predict_proba(vectorizer.transform([text]))[0]
        assert model.probabilities(text) == pytest.approx(expected.tolist(), abs=1e-9)


def test_stored_form_round_trips():
    model = fit(EXAMPLES)
    again = LinearModel.from_doc(model.to_doc())
    assert again.predict("退款 refund") == model.predict("退款 refund")


def test_unseen_texts_get_the_right_category():
    model = fit(EXAMPLES)
    assert model.predict("my refund is late")[0] == "billing"
    assert model.predict("忘记密码")[0] == "account"
    assert model.predict("the app crashes")[0] == "technical"


def test_train_reports_samples_and_held_out_accuracy():
    trained = train(EXAMPLES)
    assert trained.samples == {"account": 8, "billing": 8, "technical": 8}
    assert 0.0 <= trained.held_out_accuracy <= 1.0


def test_text_with_no_known_word_is_not_confident():
    _, confidence = fit(EXAMPLES).predict("xyzzy")
    assert confidence < 0.6


def test_one_category_is_refused():
    with pytest.raises(ValueError, match="two categories"):
        train([Example("a", "", "billing"), Example("b", "", "billing")])
