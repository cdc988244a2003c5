"""Category classifier: plain-array model matches scikit-learn and generalises a little."""

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from triage_fakes import EXAMPLES

from intake.adapters.classifier_training import fit, train
from intake.domain.classifier import Example, LinearModel
from intake.domain.triage_text import tokens


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


def test_a_lone_example_trains_but_does_not_stop_the_measurement():
    lone = Example("x", "printer jams on page two", "hardware")
    trained = train([*EXAMPLES, lone])
    assert trained.samples["hardware"] == 1
    assert trained.held_out_accuracy is not None  # was None with any lone example
    assert 0.0 <= trained.held_out_accuracy <= 1.0
    assert "hardware" in trained.model.classes


def test_too_few_examples_to_measure_give_no_accuracy():
    few = [Example(str(i), f"text {i}", c) for i, c in enumerate(["a", "a", "b", "b"])]
    assert train(few).held_out_accuracy is None
