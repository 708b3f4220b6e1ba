"""The function of a pair of quote marks: quotation, name, scare or mention.

A multinomial logistic regression over binary features of the quoted text and its neighbours
(length, capitalisation, closing punctuation, cue words before and after, speech verbs in the
sentence). The weights live in `models/quote_function.json` and are regenerated, deterministically,
by `python -m sourcetrace.train_quote_function` from the training gold in eval/gold/. Cue words
are the `quote_*` lexicons; this module holds no word lists of its own.
"""

from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources

from .document import Document, Span
from .lexicons import verb_forms, words

FUNCTIONS = ("quotation", "name", "scare", "mention")
MODEL_FILE = "quote_function.json"

_WORD = re.compile(r"[\w][\w'’\-]*")
_MARK_CHARS = "\"“”„‟'‘’‚‛«»‹›`"
_SENTENCE_END = ".!?…"
_MAX_CONTEXT = 1000  # characters either side of the marks
_CONTINUATION_WINDOW = 120  # characters back to look for the pair a quote continues
# Opening or closing marks; a right single quote counts only when no letter follows (not "it’s").
_QUOTE_MARK = re.compile(r"[\"“”«»]|''|‘|’(?!\w)")


def inner_text(span: Span) -> str:
    """What the quote marks enclose, without the marks and surrounding space."""
    return span.text.strip().strip(_MARK_CHARS).strip()


@functools.lru_cache(maxsize=None)
def _context_groups() -> dict[str, str]:
    """Function word -> role group (det, poss, prep, as), from quote_context_words.txt."""
    out: dict[str, str] = {}
    for line in words("quote_context_words"):
        group, word = line.split(" ", 1)
        out.setdefault(word, group)
    return out


@functools.lru_cache(maxsize=None)
def _speech_forms() -> frozenset[str]:
    return verb_forms("speech_verbs")


@functools.lru_cache(maxsize=None)
def _naming_forms() -> frozenset[str]:
    return verb_forms("naming_verbs")


@functools.lru_cache(maxsize=None)
def _attribution_forms() -> frozenset[str]:
    """Verbs that put words in someone's mouth: speech, belief, stance and naming verbs."""
    return frozenset().union(*(verb_forms(n) for n in ("speech_verbs", "belief_verbs", "stance_verbs",
                                                     "naming_verbs")))


def _is_title_case(tokens: list[str]) -> bool:
    minor = words("title_minor_words")
    return bool(tokens) and tokens[0][0].isupper() and all(
        t[0].isupper() or t[0].isdigit() or t.lower() in minor for t in tokens)


def _length_bin(n: int) -> str:
    for limit, name in ((1, "1"), (2, "2"), (3, "3"), (6, "4-6"), (12, "7-12")):
        if n <= limit:
            return name
    return "13+"


def _distance_bin(n: int) -> str:
    return "1-2" if n <= 2 else "3-6" if n <= 6 else "7+"


def _content_features(content: str) -> set[str]:
    """Features of the quoted words themselves."""
    tokens = _WORD.findall(content)
    lower = [t.lower() for t in tokens]
    n = len(tokens)
    f = {f"len={_length_bin(n)}"}
    last_char = content[-1:]
    if last_char and last_char in _SENTENCE_END:
        f.add("ends_sentence_punct")
    elif last_char == ",":
        f.add("ends_comma")
    if content[:1].isupper():
        f.add("first_upper")
    elif content[:1].islower():
        f.add("first_lower")
    # "We're America." is title-cased only because it is short: a sentence with a first- or
    # second-person word is speech, whatever its capitals.
    spoken = last_char in _SENTENCE_END and any(t in words("quote_personal_pronouns") for t in lower)
    title = _is_title_case(tokens) and not spoken
    if title and n > 1:
        f.add("title_case_multi")
    if title and n == 1:
        f.add("capitalised_word")
    letters = [c for c in content if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        f.add("all_caps")
    if any(t in words("quote_personal_pronouns") for t in lower):
        f.add("personal_pronoun")
    if any(t in words("quote_clause_words") for t in lower):
        f.add("clause_word")
    if any(t in _speech_forms() for t in lower):
        f.add("speech_verb_inside")
    if any(c.isdigit() for c in content):
        f.add("digit")
    if n == 1 and content[:1].islower():
        f.add("single_lower_word")
    if title and n > 1 and last_char not in _SENTENCE_END:
        f.add("title_no_period")
    return f


def _before_features(before: list[str], lead: str, lead_words: list[str]) -> set[str]:
    """Features of the words between the sentence start and the opening mark."""
    f: set[str] = set()
    last = before[-1] if before else ""
    prev2 = " ".join(before[-2:])
    if not lead.strip():
        f.add("opens_sentence")
    else:
        tail = lead.rstrip()[-1]
        if tail == ":":
            f.add("after_colon")
        elif tail in ",—–-":
            f.add("after_comma_or_dash")
        elif tail == "(":
            f.add("after_paren")
    if last in words("quote_scare_cues") or prev2 in words("quote_scare_cues"):
        f.add("scare_cue")
    if any(w in words("quote_mention_cues") for w in before[-3:]):
        f.add("mention_cue")
    if any(w in words("quote_gloss_cues") for w in before[-3:]):
        f.add("gloss_cue_before")
    if last in words("quote_name_cues") or prev2 in words("quote_name_cues"):
        f.add("name_cue_before")
    if any(w in _naming_forms() for w in before[-3:]):
        f.add("naming_verb_before")
    if last in _speech_forms() or (last == "that" and len(before) > 1 and before[-2] in _speech_forms()):
        f.add("speech_verb_just_before")
    if any(w in _speech_forms() for w in lead_words):
        f.add("speech_verb_in_lead")
    if last:
        f.add(f"prev:{last}")
    if last == "to" and len(before) == 3 and _context_groups().get(before[0]) in ("det", "poss"):
        # "the operation to ‘liberate’", "its drive to “demilitarise”": the author names an aim.
        f.add("det_noun_to")
    if len(before) >= 2 and before[-2] in _speech_forms() and _context_groups().get(last) in ("det", "poss"):
        # "state media emphasizing the ‘unbreakable bond’": the verb's object is someone's phrase.
        f.add("speech_verb_det")
    group = _context_groups().get(last)
    if group:
        f.add(f"after_{group}")
    raw_last = re.findall(r"\S+", lead)[-1:] or [""]
    if re.search(r"[’']s$", raw_last[0]) and raw_last[0][:1].isupper():
        f.add("after_proper_possessive")  # CNN’s “State of the Union”, DuVernay’s “13th”
    return f


def _after_features(after: str, content: str) -> set[str]:
    """Features of the words right after the closing mark."""
    f: set[str] = set()
    following = [w.lower() for w in _WORD.findall(after)][:4]
    first = _WORD.search(after)
    stripped = after.lstrip(" \u00a0")
    if not stripped or stripped[0] in _SENTENCE_END:
        f.add("closes_sentence")
    elif stripped[0] == ")":
        f.add("before_paren_close")
    elif stripped[0] == "(":
        f.add("before_paren_open")
    elif stripped[0] in ",;":
        f.add("before_comma")
    elif first is not None and first.start() == len(after) - len(stripped):
        word = first.group()
        if word[0].islower():
            f.add("next_word_lower")
            # "the ‘unbreakable bond’ between": the quote closes a noun phrase; "the ‘orderly’
            # withdrawal": it modifies the noun after it.
            role = _context_groups().get(word.lower())
            f.add("next_function_word" if role else "next_content_word")
        if word.lower() in words("quote_name_cues"):
            f.add("name_cue_after")
    if following:
        f.add(f"next:{following[0]}")
    if any(w in _speech_forms() for w in following[:3]):
        f.add("speech_verb_after")
    if following[:1] and following[0] in words("quote_gloss_cues"):
        f.add("gloss_cue_after")
    if any(w in words("quote_gloss_cues") for w in following[1:4]):
        f.add("gloss_cue_near_after")  # "“Tsav 8” refers to", "The “S” in START stands for"
    if "speech_verb_after" in f and content[-1:] in ",.!?":
        f.add("speech_verb_after_punct")
    return f


def features(doc: Document, span: Span, sentence: Span | None) -> list[str]:
    """The names of the binary features that hold for the quoted span, sorted."""
    text = doc.text
    # A sentence bounds the context; the cap keeps a missing or run-on sentence from making
    # every quote scan the whole article.
    floor = max(sentence.start if sentence else 0, span.start - _MAX_CONTEXT)
    ceiling = min(sentence.end if sentence and sentence.end > span.end else len(text), span.end + _MAX_CONTEXT)
    content = inner_text(span)
    lead = text[floor:span.start]
    lead_words = [w.lower() for w in _WORD.findall(lead)]
    f = {"bias"} | _content_features(content)
    f |= _before_features(lead_words[-3:], lead, lead_words[-12:])
    f |= _after_features(text[span.end:min(ceiling, span.end + 60)], content)
    after_words = [w.lower() for w in _WORD.findall(text[span.end:ceiling])]
    if any(w in _attribution_forms() for w in lead_words + after_words):
        f.add("attribution_verb_in_sentence")
    verb_at = [i for i, w in enumerate(lead_words) if w in _attribution_forms()]
    if verb_at:
        f.add(f"attribution_verb_before={_distance_bin(len(lead_words) - verb_at[-1])}")
    if any(w in _attribution_forms() for w in after_words[:6]):
        f.add("attribution_verb_just_after")
    if "according" in lead_words + after_words:
        f.add("according_to")
    for w in lead_words[-3:]:
        f.add(f"left:{w}")
    for w in after_words[:3]:
        f.add(f"right:{w}")
    siblings = sum(1 for _ in re.finditer(r"[\"“”«»‘’]|''", text[floor:ceiling])) - len(
        re.findall(r"[\"“”«»‘’]|''", span.text))
    if siblings >= 2:
        f.add("other_quotes_in_sentence")
    # A few conjunctions the linear model cannot form on its own.
    if "title_case_multi" in f and "speech_verb_in_lead" not in f:
        f.add("title_without_speech")
    if "len=1" in f and "speech_verb_in_lead" in f:
        f.add("one_word_with_speech")
    if "len=1" in f and "speech_verb_in_lead" not in f and "speech_verb_after" not in f:
        f.add("one_word_no_speech")
    f |= _display_features(lead_words[-4:], after_words[:2])
    f |= _headline_features(f, text[floor:span.start] + " " + text[span.end:ceiling])
    f |= _continuation_features(text, span)
    f |= _gloss_features(text, span, lead_words, after_words)
    f |= _cue_and_conjunction_features(f, content, lead_words)
    if _in_quote_list(text, span):
        f.add("in_quote_list")
    return sorted(f)


def _cue_and_conjunction_features(f: set[str], content: str, lead_words: list[str]) -> set[str]:
    """Euphemisms, framing and mention cues, and conjunctions of features already in `f`."""
    out: set[str] = set()
    n = len(_WORD.findall(content))
    euphemisms = words("quote_euphemisms")
    if content.lower().rstrip(",.!?;:") in euphemisms or (n <= 3 and content.lower().split(" ")[0] in euphemisms):
        out.add("euphemism")
    if "mention_cue" in f and lead_words[-1:] and lead_words[-1] in words("quote_mention_cues"):
        out.add("mention_cue_just_before")  # "the words ''Donald Trump''" outweighs its title case
    if any(w in words("quote_mention_cues") for w in lead_words[-12:]):
        out.add("mention_cue_in_lead")  # "words such as "ambassador," "attack," "Benghazi,""
    if "as" in lead_words[-4:] and any(w in words("quote_framing_cues") for w in lead_words[-8:]):
        out.add("framed_as")
    if "first_lower" in f and n <= 3 and not any(k.startswith("attribution_verb_before") for k in f):
        out.add("short_lower_unattributed")
    if "first_upper" in f and "ends_sentence_punct" in f and f & {"personal_pronoun", "clause_word"}:
        out.add("whole_sentence_clause")  # "We're America." reads as speech, not as a title
    return out


def _gloss_features(text: str, span: Span, lead_words: list[str], after_words: list[str]) -> set[str]:
    """Signs that the quoted words are talked about as words: a language named nearby ("Creole for
    ‘living together’"), a mention cue later in the sentence ("the ‘invasion’ row began when the
    lawyers used the word"), or a pair that glosses the pair just before it ("«Wir sind mehr» —
    ‘we are more’ —")."""
    f: set[str] = set()
    languages = words("quote_languages")
    if lead_words[-2:-1] and lead_words[-2] in languages and lead_words[-1] in ("for", "as"):
        f.add("language_for")
    elif any(w in languages for w in lead_words[-4:]):
        f.add("language_near")
    if any(w in words("quote_mention_cues") for w in after_words[:12]):
        f.add("mention_cue_after")
    window = max(0, span.start - 8)
    gap_start = max(text.rfind("\n", window, span.start) + 1, window)  # bounded: no scan to the text's start
    if re.search(r"(?:[\"”»]|''|’)\s*(?:\(|[—–]|-{1,2}|,\s*or)\s*$", text[gap_start:span.start]):
        f.add("glosses_previous_pair")
    return f


def _in_quote_list(text: str, span: Span) -> bool:
    """Another pair sits right before or after this one, with only a comma or "and"/"or" between."""
    before = text[max(0, span.start - 6):span.start]
    after = text[span.end:span.end + 6]
    return bool(re.search(r"(?:[\"”»]|''|’)[\s,]*(?:and |or )?$", before)
                or re.match(r"[\s,]*(?:and |or )?(?:[\"“«]|''|‘)", after))


def _display_features(before: list[str], after: list[str]) -> set[str]:
    """Text that was chanted, sung or shown on a sign or front page (a quotation, however cased)."""
    cues = words("quote_display_cues")
    f = set()
    if any(w in cues for w in before):
        f.add("display_cue_before")
    if any(w in cues for w in after):
        f.add("display_cue_after")
    return f


def _headline_features(f: set[str], outside: str) -> set[str]:
    """A title-cased sentence (a headline) makes title case inside the marks no sign of a name."""
    minor = words("title_minor_words")
    content_words = [w for w in _WORD.findall(outside) if w.lower() not in minor and not w[0].isdigit()]
    if len(content_words) < 4 or sum(w[0].isupper() for w in content_words) < 0.8 * len(content_words):
        return set()
    out = {"headline_sentence"}
    if f & {"title_case_multi", "capitalised_word"}:
        out.add("title_in_headline")
    return out


def _continuation_features(text: str, span: Span) -> set[str]:
    """A pair that follows another pair and a speech verb in the same paragraph continues a quote."""
    window = max(0, span.start - _CONTINUATION_WINDOW)
    gap_start = max(text.rfind("\n", window, span.start) + 1, window)  # the paragraph's start, if nearer
    marks = list(_QUOTE_MARK.finditer(text, gap_start, span.start))
    if not marks:
        return set()
    gap = [w.lower() for w in _WORD.findall(text[marks[-1].end():span.start])]
    f = {"previous_pair_near"}
    if any(w in _speech_forms() for w in gap):
        f.add("previous_pair_then_speech_verb")  # "...for America,'' the president added. ''We're..."
        if text[marks[-1].end():span.start].rstrip()[-1:] in ".:":
            f.add("quote_resumes")  # the attribution sentence has closed and a new quote opens
    return f


@functools.lru_cache(maxsize=None)
def load_model() -> dict:
    """The shipped weights: {"classes": [...], "weights": {feature: [one per class]}}."""
    path = resources.files(__package__).joinpath("models", MODEL_FILE)
    return json.loads(path.read_text(encoding="utf-8"))


def scores(active: list[str], model: dict) -> dict[str, float]:
    """Class probabilities for a set of active features (unknown features are ignored)."""
    classes = model["classes"]
    logits = [0.0] * len(classes)
    for name in active:
        for i, w in enumerate(model["weights"].get(name, ())):
            logits[i] += w
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    total = sum(exp)
    return {c: e / total for c, e in zip(classes, exp)}


def decide(active: list[str], model: dict) -> str:
    return decide_with_probability(active, model)[0]


def decide_with_probability(active: list[str], model: dict) -> tuple[str, float]:
    """The most probable function, then one rule the data is too thin to learn.

    The object of a speech verb is the speaker's phrase, not the author's ("state media
    emphasizing the ‘unbreakable bond’"): a scare reading needs an explicit cue (so-called).
    In 5-fold CV the rule is neutral; it keeps reported phrases out of the scare-quote counts.
    """
    probs = scores(active, model)
    best = max(FUNCTIONS, key=lambda c: (probs[c], -FUNCTIONS.index(c)))
    if best == "scare" and "speech_verb_det" in active and "scare_cue" not in active:
        best = "quotation"
    return best, probs[best]


def classify(doc: Document, span: Span, sentence: Span | None, model: dict | None = None) -> tuple[str, float]:
    """quotation | name | scare | mention for one top-level pair of quote marks, with the model's
    probability for it (low when the rule above overrode the model)."""
    function, probability = decide_with_probability(features(doc, span, sentence), model or load_model())
    return function, round(probability, 3)
