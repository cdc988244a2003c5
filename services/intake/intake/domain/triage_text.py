"""Tokens for zh and en text: jieba words for Han runs, lower-cased words for the rest."""

from __future__ import annotations

import logging
import threading
from types import ModuleType

import regex

_jieba: ModuleType | None = None
_loading = threading.Lock()

_RUNS = regex.compile(r"\p{Han}+|[\p{L}\p{N}]+(?:'[\p{L}]+)?")
_HAN = regex.compile(r"\p{Han}")


def tokens(text: str) -> list[str]:
    """Word tokens of `text`; Chinese runs are segmented with jieba."""
    out: list[str] = []
    for run in _RUNS.findall(text):
        if _HAN.match(run):
            out.extend(w for w in _segmenter().cut(run) if w.strip())
        else:
            out.append(run.casefold())
    return out


def ready() -> bool:
    """Whether Chinese segmentation is loaded (jieba takes seconds, once per process)."""
    return _jieba is not None


def warm() -> None:
    """Load the segmenter now, so no ticket waits for it."""
    _segmenter()


def _segmenter() -> ModuleType:
    global _jieba
    with _loading:
        if _jieba is None:
            import jieba  # here, not at import: intake starts without it

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def language(text: str) -> str:
    """ "zh" when Han characters are a fair share of the letters, else "en"."""
    letters = regex.findall(r"\p{L}", text)
    han = sum(1 for c in letters if _HAN.match(c))
    return "zh" if letters and han * 3 >= len(letters) else "en"
