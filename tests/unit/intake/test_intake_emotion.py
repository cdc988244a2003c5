"""Emotion lexicon (zh+en), crisis words, repeat contact and the priority it leads to."""

import pytest

from intake.domain.emotion import escalated_priority, score
from intake.domain.triage_text import language, tokens
from ticketflow_shared.events import Priority


def test_chinese_is_segmented_and_english_lower_cased():
    assert tokens("退款 Refund isn't HERE") == ["退款", "refund", "isn't", "here"]
    assert "投诉" in tokens("我要投诉你们的客服")


def test_language_guess():
    assert language("退款还没到账") == "zh"
    assert language("Where is my refund? 谢谢") == "en"


def test_negation_flips_only_the_next_word():
    assert score("I am not angry").score < 0
    assert score("not bad, thanks").score < 0
    assert score("不生气\uff0c谢谢").score < 0


def test_intensifiers_exclamations_and_caps_raise_the_score():
    plain = score("I am angry").score
    assert score("I am very angry").score > plain
    assert score("I am angry!!!").score > plain
    assert score("I am ANGRY").score > plain
    assert score("我非常生气\uff01\uff01").score > score("我生气").score


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("I will call my lawyer", "lawyer"),
        ("we will sue", "sue"),
        ("我要去12315投诉", "12315"),
        ("再不处理就曝光你们", "曝光"),
        ("找消协", "消协"),
    ],
)
def test_crisis_words_make_a_message_angry(text, word):
    emotion = score(text)
    assert word in emotion.crisis_words and emotion.angry
    assert word in emotion.reason()


def test_crisis_words_need_word_boundaries_in_english():
    assert score("this issue is pursued").crisis_words == []


def test_repeat_contact_adds_to_the_score():
    assert score("still broken", recent_contacts=4).score > score("still broken").score


def test_escalation_steps_up_when_angry_and_jumps_to_urgent_on_crisis():
    angry = score("This is the WORST, absolutely unacceptable!!!")
    assert escalated_priority(Priority.normal, angry) == Priority.high
    assert escalated_priority(Priority.low, score("律师函见")) == Priority.urgent
    assert escalated_priority(Priority.urgent, angry) is None
    assert escalated_priority(Priority.normal, score("thanks, great help")) is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I'm sick and tired of waiting", "sick and tired"),
        ("Absolutely FED up with this", "fed up"),
        ("What a rip-off", "rip off"),
        ("Third time I'm writing and still no answer", "still no answer"),
    ],
)
def test_phrases_count_where_no_single_word_would(text, phrase):
    emotion = score(text)
    assert phrase in emotion.words and emotion.angry


def test_a_phrase_inside_a_longer_word_does_not_count():
    assert "had enough" not in score("we had enoughness").words


def test_a_message_in_capitals_counts_as_shouting():
    assert score("STOP SENDING ME THE SAME REPLY").angry
    assert not score("The SKU and the EAN on the invoice differ").angry


def test_threats_to_go_public_are_crisis():
    assert "going public" in score("I'm posting the whole thread on Twitter").crisis_words
    assert "going public" in score("再不退款我就发微博").crisis_words
    assert score("I saw your announcement on Twitter").crisis_words == []


@pytest.mark.parametrize(
    "text",
    [
        "我已经第三次反映了\uff0c太过分了\uff01",
        "你们的客服简直是在敷衍我",
        "乱扣费\uff0c给我一个说法",
    ],
)
def test_chinese_phrases_of_exasperation(text):
    assert score(text).angry
