"""Emotion of a customer message from a zh+en lexicon, plus crisis words and repeat contact."""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from ticketflow_shared.events import Priority

NEG_EN = {
    "angry": 2,
    "terrible": 2,
    "awful": 2,
    "worst": 3,
    "useless": 2,
    "ridiculous": 2,
    "unacceptable": 3,
    "furious": 3,
    "disappointed": 1,
    "bad": 1,
    "broken": 1,
    "hate": 3,
    "scam": 3,
    "waste": 2,
    "annoyed": 1,
    "frustrated": 2,
    "disgusting": 3,
    "pathetic": 3,
    "livid": 3,
    "fuming": 3,
    "outrageous": 3,
    "disgraceful": 3,
    "horrible": 3,
    "appalling": 3,
    "atrocious": 3,
    "incompetent": 3,
    "shocking": 2,
    "rude": 2,
    "nonsense": 2,
    "unbelievable": 2,
}
# Phrases a single word misses: exasperation, being ignored, chasing again.
PHRASES_EN = {
    "fed up": 3,
    "sick and tired": 3,
    "had enough": 3,
    "kidding me": 3,
    "is a joke": 3,
    "are a joke": 3,
    "rip off": 3,
    "still no answer": 2,
    "still no reply": 2,
    "still no response": 2,
    "still not fixed": 2,
    "no one has bothered": 2,
    "nobody has bothered": 2,
    "nobody reads": 2,
    "no one reads": 2,
    "nobody cares": 2,
    "no one cares": 2,
    "third time": 2,
    "fourth time": 2,
    "again and again": 2,
}
POS_EN = {"thanks": 1, "thank": 1, "great": 1, "love": 2, "happy": 1, "good": 1, "appreciate": 1}
INTENSIFY_EN = {"very": 1.5, "really": 1.5, "so": 1.5, "extremely": 2, "absolutely": 2}
NEGATE_EN = {"not", "no", "never", "don't", "isn't", "wasn't", "dont", "isnt", "nothing"}
NEG_ZH = {
    "生气": 2,
    "愤怒": 3,
    "太差": 2,
    "垃圾": 3,
    "失望": 1,
    "骗子": 3,
    "恶心": 3,
    "差劲": 2,
    "无语": 1,
    "气死": 3,
    "糟糕": 2,
    "离谱": 2,
    "坑人": 2,
    "忍无可忍": 3,
    "烂": 2,
    "过分": 2,
    "无法接受": 3,
    "敷衍": 3,
    "欺诈": 3,
    "什么破": 3,
    "乱扣": 3,
    "给我一个说法": 3,
    "管不管": 2,
    "没人处理": 2,
    "没人管": 2,
    "没有回复": 1,
    "天天出错": 2,
    "第三次": 2,
    "第四次": 2,
    "多次": 1,
    "反复": 1,
    "再也不会": 2,
    "受够": 3,
}
POS_ZH = {"谢谢": 1, "感谢": 1, "满意": 2, "不错": 1, "好评": 2, "辛苦": 1}
INTENSIFY_ZH = {"非常": 2, "特别": 1.5, "真的": 1.5, "超级": 2, "太": 1.5}
NEGATE_ZH = ("不", "没", "没有", "别", "并不")
CRISIS = (
    "lawyer",
    "sue",
    "suing",
    "lawsuit",
    "attorney",
    "legal action",
    "regulator",
    "ombudsman",
    "journalist",
    "media",
    "go public",
    "court",
    "solicitor",
    "consumer protection",
    "trading standards",
    "file a complaint",
    "formal complaint",
    "chargeback",
    "律师",
    "起诉",
    "投诉",
    "曝光",
    "消协",
    "12315",
    "媒体",
    "法院",
    "消费者协会",
    "工商局",
)
# Threats to take the matter public, named by what they threaten.
GOING_PUBLIC = regex.compile(
    r"(?<![a-z])(post|posting|tweet|tweeting|share|sharing|put)(?![a-z]).{0,60}"
    r"(?<![a-z])(twitter|facebook|reddit|linkedin|social media|weibo)(?![a-z])"
    r"|发(到)?(微博|朋友圈|抖音|网上)"
)
ANGRY_AT = 3.0
_WORD = regex.compile(r"[A-Za-z']+")


@dataclass(frozen=True)
class Emotion:
    score: float
    angry: bool
    crisis_words: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    def reason(self) -> str:
        parts = [f"emotion score {self.score:.1f}"]
        if self.words:
            parts.append("words: " + ", ".join(self.words))
        if self.crisis_words:
            parts.append("crisis: " + ", ".join(self.crisis_words))
        return "; ".join(parts)


def score(text: str, recent_contacts: int = 0) -> Emotion:
    """Positive is upset; `recent_contacts` counts the customer's other contacts in 24 h."""
    words: list[str] = []
    total = _score_en(text, words) + _score_zh(text, words)
    total += min(
        2, len(regex.findall(r"[!\uff01]{2,}|[?\uff1f][!\uff01]|[!\uff01][?\uff1f]", text))
    )
    total += _shouting(text)
    total += 2 if recent_contacts >= 4 else 1 if recent_contacts >= 2 else 0
    crisis = _crisis(text)
    return Emotion(round(total, 2), total >= ANGRY_AT or bool(crisis), crisis, words)


def _shouting(text: str) -> float:
    """Half a point per capitalised word (at most 2); 3 for a message written in capitals."""
    letters = [w for w in _WORD.findall(text) if len(w) >= 2]
    caps = [w for w in letters if len(w) >= 3 and w.isupper()]
    if len(caps) >= 3 and len(caps) >= 0.6 * len(letters):
        return 3.0
    return min(2.0, 0.5 * len(caps))


def _score_en(text: str, words: list[str]) -> float:
    total = _score_en_words(text, words)
    folded = " ".join(t.casefold() for t in _WORD.findall(text))  # "rip-off" reads "rip off"
    for phrase, weight in PHRASES_EN.items():
        if regex.search(rf"(?<![a-z']){regex.escape(phrase)}(?![a-z'])", folded):
            total += weight
            words.append(phrase)
    return total


def _score_en_words(text: str, words: list[str]) -> float:
    toks = [t.casefold() for t in _WORD.findall(text)]
    total = 0.0
    for i, tok in enumerate(toks):
        weight = NEG_EN.get(tok, 0) - POS_EN.get(tok, 0)
        if not weight:
            continue
        before = _since_last_cue(toks[max(0, i - 3) : i])
        if any(b in NEGATE_EN for b in before):
            weight = -weight * 0.5
        elif before and before[-1] in INTENSIFY_EN:
            weight *= INTENSIFY_EN[before[-1]]
        total += weight
        if weight > 0:
            words.append(tok)
    return total


def _since_last_cue(before: list[str]) -> list[str]:
    """The tokens after the last lexicon word, so one negation flips one word."""
    for j in range(len(before) - 1, -1, -1):
        if before[j] in NEG_EN or before[j] in POS_EN:
            return before[j + 1 :]
    return before


def _score_zh(text: str, words: list[str]) -> float:
    total = 0.0
    for lexicon, sign in ((NEG_ZH, 1), (POS_ZH, -1)):
        for word, weight in lexicon.items():
            for hit in regex.finditer(regex.escape(word), text):
                w = sign * weight
                before = text[max(0, hit.start() - 3) : hit.start()]
                if any(before.endswith(n) or before[-2:-1] == n for n in NEGATE_ZH):
                    w = -w * 0.5
                elif any(before.endswith(i) for i in INTENSIFY_ZH):
                    w *= max(v for k, v in INTENSIFY_ZH.items() if before.endswith(k))
                total += w
                if w > 0:
                    words.append(word)
    return total


def _crisis(text: str) -> list[str]:
    folded = text.casefold()
    found = []
    for word in CRISIS:
        pattern = rf"(?<![a-z0-9]){regex.escape(word)}(?![a-z0-9])" if word.isascii() else word
        if regex.search(pattern, folded):
            found.append(word)
    if GOING_PUBLIC.search(folded):
        found.append("going public")
    return found


_LADDER = [Priority.low, Priority.normal, Priority.high, Priority.urgent]


def escalated_priority(current: Priority, emotion: Emotion) -> Priority | None:
    """Urgent for a crisis, one step up when angry; None when nothing changes."""
    if emotion.crisis_words:
        return Priority.urgent if current is not Priority.urgent else None
    if emotion.angry:
        return one_step_up(current)
    return None


def one_step_up(current: Priority) -> Priority | None:
    """The next more urgent priority; None for urgent."""
    target = _LADDER[min(len(_LADDER) - 1, _LADDER.index(current) + 1)]
    return target if target != current else None
