"""Near misses between a tag as typed in Lever and the tags that would link something: pure functions.

A near miss differs from an intended tag only by letter case, white space (doubled, non-breaking, at
the ends), the kind of dash (– — ‐ −), a dash left out, one word left out or added, or a small typo.
`differences` says which in words; `visible` splits a tag so that the differences a person cannot see
(a doubled space, an odd dash) can be marked on a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Every character people (or word processors) type for a hyphen; the grammar wants the ASCII one.
DASHES = {
    "\u2010": "hyphen (‐)", "\u2011": "non-breaking hyphen", "\u2012": "figure dash (‒)", "\u2013": "en dash (–)",
    "\u2014": "em dash (—)", "\u2015": "horizontal bar (―)", "\u2212": "minus sign (−)", "\ufe58": "small em dash",
    "\ufe63": "small hyphen", "\uff0d": "full-width hyphen (－)",
}
SPACES = {"\u00a0": "non-breaking space", "\t": "tab", "\u2007": "figure space", "\u202f": "narrow space",
          "\u2009": "thin space", "\u200b": "zero-width space", "\u3000": "full-width space"}
_DASH_RE = re.compile("[" + "".join(DASHES) + "-]")


def normalise(tag: str) -> str:
    """The tag with case, white space and dashes made uniform: equal for tags a person reads as equal."""
    text = unicodedata.normalize("NFKC", tag or "").replace("\u200b", "")
    text = _DASH_RE.sub("-", text)
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return re.sub(r"\s*-\s*", " - ", text)


def words(tag: str) -> list[str]:
    """The tag's words, dashes and white space aside."""
    return [w for w in re.split(r"[\s-]+", normalise(tag)) if w]


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (strings or lists of words)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _typo_budget(intended: str) -> int:
    n = len(normalise(intended))
    return 1 if n < 12 else 2 if n < 30 else 3


@dataclass(frozen=True)
class NearMiss:
    """The intended tag a typed tag most likely meant, and how far apart they are (lower is closer)."""

    typed: str
    intended: str
    distance: float


def _distance(typed: str, intended: str) -> float | None:
    if normalise(typed) == normalise(intended):
        return 0.0  # case, white space or dashes only
    typed_words, intended_words = words(typed), words(intended)
    if typed_words == intended_words:
        return 0.5  # a dash left out or put elsewhere
    if (abs(len(typed_words) - len(intended_words)) == 1 and len(intended_words) >= 3
            and edit_distance(typed_words, intended_words) == 1):
        return 1.0  # one word left out or added
    budget = _typo_budget(intended)
    typed_text, intended_text = normalise(typed), normalise(intended)
    if abs(len(typed_text) - len(intended_text)) > budget:
        return None  # cheap refusal: most tags on a posting are nothing like ours
    chars = edit_distance(typed_text, intended_text)
    if chars <= budget:
        return 1.0 + chars
    return None


def near_miss(typed: str, intended: Iterable[str]) -> NearMiss | None:
    """The closest intended tag that `typed` nearly matches (None when it matches one exactly, or none
    closely enough)."""
    best: NearMiss | None = None
    for tag in intended:
        if tag == typed:
            return None
        distance = _distance(typed, tag)
        if distance is not None and (best is None or distance < best.distance):
            best = NearMiss(typed, tag, distance)
    return best


def differences(typed: str, intended: str) -> list[str]:
    """How `typed` differs from `intended`, in words a recruiter can act on."""
    out = []
    for char, name in {**DASHES, **SPACES}.items():
        if char in typed and char not in intended:
            article = "an" if name[0] in "aeiou" else "a"
            out.append(f"{article} {name} where the tag has {'a hyphen (-)' if char in DASHES else 'a space'}")
    if "  " in typed and "  " not in intended:
        out.append("two spaces in a row")
    if typed != typed.strip():
        out.append("a space at the start or the end")
    typed_words, intended_words = words(typed), words(intended)
    missing = list((Counter(intended_words) - Counter(typed_words)).elements())
    extra = list((Counter(typed_words) - Counter(intended_words)).elements())
    if typed_words == intended_words and normalise(typed) != normalise(intended):
        out.append("the dash is missing or in another place")
    intended_spelling, typed_spelling = _spelled(intended), _spelled(typed)
    if len(missing) == 1 and not extra:
        out.append(f"the word “{intended_spelling.get(missing[0], missing[0])}” is missing")
    elif len(extra) == 1 and not missing:
        out.append(f"an extra word “{typed_spelling.get(extra[0], extra[0])}”")
    elif len(extra) == 1 and len(missing) == 1:
        out.append(f"“{typed_spelling.get(extra[0], extra[0])}” where the tag has "
                   f"“{intended_spelling.get(missing[0], missing[0])}”")
    elif missing or extra:
        out.append("spelling differences")
    if any(typed_spelling[w] != intended_spelling[w] for w in typed_spelling.keys() & intended_spelling.keys()):
        out.append("letter case")
    return out or ["letter case or spacing"]


def _spelled(tag: str) -> dict[str, str]:
    """Each word of the tag, case-folded → as written."""
    raw = re.split(r"[\s" + "".join(DASHES) + r"-]+", unicodedata.normalize("NFKC", tag))
    return {w.casefold(): w for w in raw if w}


@dataclass(frozen=True)
class Segment:
    """A run of a tag as a page shows it: plain text, or a character made visible with its name."""

    text: str
    mark: str | None = None


def visible(tag: str) -> list[Segment]:
    """The tag split into plain runs and marked characters: spaces at the ends or doubled, unusual
    spaces and dashes. A page renders marked ones visibly (e.g. `␣` for a space) with their name."""
    out: list[Segment] = []
    plain = ""
    for i, char in enumerate(tag):
        mark = None
        if char in DASHES:
            mark = DASHES[char]
        elif char in SPACES:
            mark = SPACES[char]
        elif char == " " and (i == 0 or i == len(tag) - 1 or tag[i - 1:i] == " " or tag[i + 1:i + 2] == " "):
            mark = "extra space"
        if mark is None:
            plain += char
            continue
        if plain:
            out.append(Segment(plain))
            plain = ""
        out.append(Segment("␣" if char.isspace() or char == "\u200b" else char, mark))
    if plain:
        out.append(Segment(plain))
    return out
