"""Follow-ups made standalone by rules, the same for `docent chat`, the web app and `/v1`.

A question is rewritten only when it leans on the turn before, and never on a refused one:
an ellipsis ("what about part-time employees?", "그럼 시간제 직원은요?") becomes the earlier
question with the contrasted phrase put in its place, and a pronoun ("when is it
roasted?", "그건 …?") becomes the earlier question's topic. A question that names its own
topic ("Is that policy written down anywhere?", "What is it like to work here?") is left
as typed. Rules, not the model, instantly: they make the rewrite a person would on every case
in tests/followup_cases.jsonl and on 85 % of new cases on first sight, where Gemma 3 270M
rewrote 4 of 159 ellipses and pronouns right (docs/backends.md, "Chat follow-ups";
bench/followups.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.index.tokens import mostly_hangul
from graphs.prompts import REFUSALS


@dataclass(frozen=True)
class Turn:
    """An earlier turn: the question as the person typed it, and how it was answered."""

    question: str
    answer: str
    refused: bool


def is_refusal(answer: str) -> bool:
    """Whether an answer is one of docent's refusals ("The documents do not say.")."""
    return answer.strip().startswith(tuple(REFUSALS.values()))


def rewrite_followup(question: str, turns: Sequence[Turn]) -> str:
    """The question as it can be answered on its own: `question` itself unless it depends on
    the last of `turns` (oldest first), which was answered, not refused. Each earlier
    follow-up is first made standalone the same way, so a chain of follow-ups keeps its topic.
    """
    previous: str | None = None
    for turn in turns:
        standalone = _standalone(turn.question, previous)
        previous = None if turn.refused else standalone
    return _standalone(question, previous)


def _standalone(question: str, previous: str | None) -> str:
    text = question.strip()
    if previous is None or not text or mostly_hangul(text) != mostly_hangul(previous):
        return question
    rewrite = (_korean if mostly_hangul(text) else _english)(text, previous.strip())
    return rewrite or question


# ---- English -----------------------------------------------------------------------------

def _listed(text: str) -> frozenset[str]:
    return frozenset(text.split())


TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*|\S")
WH = _listed("what which who whom whose when where why how what's")
AUX = _listed(
    "do does did is are was were am can could should will would may might must shall has have "
    "had don't doesn't didn't isn't aren't wasn't weren't can't couldn't won't")
DETERMINERS = _listed(
    "the a an this that these those my your our their his its some any each every no all "
    "another")
PRONOUNS = _listed(
    "i you we they it he she me us them him her one someone anyone something anything")
PREPOSITIONS = _listed(
    "of for in on at to from with without by about during after before between into over "
    "under per through until within across around like as near than")
OTHER_FUNCTION_WORDS = _listed(
    "and or but if whether so because while not there here then also too very many much long "
    "often far old more most less few ever just only please still yet")
# verbs common in questions about documents; words as often nouns (roast, brew, blend,
# store, leave, press, drip, order) are left out: "a light roast end", "the store close"
VERBS = _listed(
    "be get got cost costs take takes took make makes made hold holds open opens close closes "
    "end ends start starts begin begins last lasts need needs require requires include "
    "includes cover covers apply applies offer offers sell sells sold buy buys serve serves "
    "use uses used grind grinds ground steep steeps lose loses lost weigh weighs pay pays earn "
    "earns accrue accrues carry carries work works come comes go goes run runs keep keeps "
    "kept mean means say says said allow allows accept accepts charge charges deliver "
    "delivers ship ships contain contains change changes happen happens help helps matter "
    "matters count counts expire expires renew renews replace replaces return returns "
    "cancel cancels find finds know knows want wants bring brings yield yields rest rests "
    "pour pours filter filters mix mixes taste tastes become becomes differ differs provide "
    "provides clean cleans join joins found founded wrote write writes tell see")
IRREGULAR_PARTICIPLES = _listed("paid sold made kept held ground written done given")
# sets whose members stand in for each other in "what about …?" ("on weekends" for "on
# weekdays"): times, roast levels, sizes and temperatures
CONTRASTS = [_listed(listed) for listed in (
    "weekday weekdays weekend weekends holiday holidays monday mondays tuesday tuesdays "
    "wednesday wednesdays thursday thursdays friday fridays saturday saturdays sunday sundays "
    "morning mornings afternoon afternoons evening evenings night nights today tomorrow",
    "light medium dark",
    "small regular medium large",
    "hot iced cold warm",
)]
SINGULAR = _listed("it its this that he she him his her")
PLURAL = _listed("they them their these those")
POSSESSIVE = _listed("its their his")
DEMONSTRATIVES = _listed("this that these those")
PERSONAL = _listed("he she him his her")
BE = _listed("is are was were what's")
# verbs whose "to" belongs to them, not to a clause "it" stands for
CATENATIVES = _listed("need needs needed have has had want wants ought going used seem seems "
                      "tend tends got")
WEATHER = _listed("rain rains raining rained snow snows snowing snowed")
DO_AUX = _listed("do does did can could should will would may might must shall")
# an auxiliary's singular form, for one that must agree with the phrase put after it
SINGULAR_AUX = {"do": "does", "are": "is", "were": "was", "have": "has", "don't": "doesn't",
                "aren't": "isn't", "weren't": "wasn't"}
PLURAL_AUX = {singular: plural for plural, singular in SINGULAR_AUX.items()}
ELLIPSIS = re.compile(
    r"^(?:(?:and|but|so|ok|okay|then)\s*,?\s+)?(?:(?:and\s+)?(?:what|how)\s+about|and)\s+"
    r"(?P<phrase>.+?)[\s?.!]*$", re.IGNORECASE)
OPENER = re.compile(r"^(?:and|also|so|then|but)\b\s*,?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class Phrase:
    """A noun phrase: words[first:last], a determiner first if `determiner`."""

    first: int
    last: int
    determiner: bool


def _words(text: str) -> list[Word]:
    return [Word(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def _content(words: list[Word], i: int) -> bool:
    """Whether words[i] may stand in a noun phrase (not a function word, verb or mark)."""
    low = words[i].low
    if not words[i].text[0].isalnum() or low in (WH | AUX | DETERMINERS | PRONOUNS
                                                  | PREPOSITIONS | OTHER_FUNCTION_WORDS):
        return False
    if i == 1 and words[0].low == "who":  # "Who approves …?": the verb
        return False
    after_determiner = i > 0 and words[i - 1].low in DETERMINERS
    if low in VERBS and not after_determiner:
        return False
    if low.endswith("ed") or low in IRREGULAR_PARTICIPLES:  # "paid leave", not "is paid?"
        return i + 1 < len(words) and _noun_like(words[i + 1].low)
    return True


def _noun_like(low: str) -> bool:
    return low[0].isalnum() and low not in (WH | AUX | DETERMINERS | PRONOUNS | PREPOSITIONS
                                            | OTHER_FUNCTION_WORDS | VERBS)


def _phrases(words: list[Word]) -> list[Phrase]:
    found: list[Phrase] = []
    i = 0
    while i < len(words):
        determiner = words[i].low in DETERMINERS and i + 1 < len(words) and _content(words, i + 1)
        j = i + 1 if determiner else i
        k = j
        while k < len(words) and _content(words, k):
            k += 1
        if k > j:
            found.append(Phrase(i, k, determiner))
            i = k
        else:
            i += 1
    # "What does the roasting log record?": after "does", a subject that runs to the end
    # ends in the verb
    aux = _first_aux(words)
    subject = next((p for p in found if aux is not None and p.first == aux + 1), None)
    if (subject is not None and words[aux or 0].low in DO_AUX
            and subject.last - subject.first - subject.determiner >= 2
            and all(not w.text[0].isalnum() for w in words[subject.last:])):
        found[found.index(subject)] = Phrase(subject.first, subject.last - 1,
                                             subject.determiner)
    return found


def _first_aux(words: list[Word]) -> int | None:
    return next((i for i, w in enumerate(words) if w.low in AUX), None)


def _plural(words: list[Word], phrase: Phrase) -> bool:
    """Whether the phrase's head (its last word before any preposition) is plural."""
    span = [w.low for w in words[phrase.first:phrase.last]]
    head = next((span[n - 1] for n, low in enumerate(span) if n and low in PREPOSITIONS),
                span[-1])
    return head in ("people", "staff") or (head.endswith("s") and not head.endswith(("ss", "us")))


def _subject(words: list[Word], phrases: list[Phrase]) -> Phrase | None:
    aux = _first_aux(words)
    return next((p for p in phrases if aux is not None and p.first == aux + 1), None)


def _copular_object(words: list[Word], phrases: list[Phrase]) -> Phrase | None:
    """In "What is the price of a cafe latte?", "What is the staff discount on beans?": the
    phrase after the subject's preposition, ending the question."""
    subject = _subject(words, phrases)
    if subject is None or words[subject.first - 1].low not in BE:
        return None
    after = subject.last
    if after + 1 >= len(words) or words[after].low not in PREPOSITIONS:
        return None
    found = next((p for p in phrases if p.first == after + 1), None)
    ends = found is not None and all(not w.text[0].isalnum() for w in words[found.last:])
    return found if ends else None


def _topics(words: list[Word], person: bool) -> list[Phrase]:
    """The earlier question's noun phrases, likeliest topic first: what it asks "about",
    then its subject (for a thing, in "What is the price of X?" X, and "the discount on
    beans" whole), then the rest in order."""
    phrases = _phrases(words)
    about = [p for p in phrases if p.first > 0 and words[p.first - 1].low == "about"]
    subject = _subject(words, phrases)
    first = [] if subject is None else [subject]
    tail = _copular_object(words, phrases)
    if subject is not None and tail is not None and not person:
        first = ([tail] if words[subject.last].low == "of" else
                 [Phrase(subject.first, tail.last, subject.determiner)]) + first
    return about + first + [p for p in phrases if p not in about + first]


def _which_topic(previous: str, words: list[Word]) -> list[tuple[str, bool]]:
    """"the roast used for espresso" from "Which roast is used for espresso?" (and whether
    it is plural), or nothing."""
    phrases = _phrases(words)
    if not phrases or words[0].low != "which" or phrases[0].first != 1:
        return []
    be = phrases[0].last
    if be + 2 >= len(words) or words[be].low not in BE or not (
            words[be + 1].low.endswith("ed") or words[be + 1].low in IRREGULAR_PARTICIPLES):
        return []
    last = max(n for n, w in enumerate(words) if w.text[0].isalnum())
    thing = _span(previous, words, 1, be)
    return [(f"the {thing} {previous[words[be + 1].start:words[last].end]}",
             _plural(words, phrases[0]))]


def _span(text: str, words: list[Word], first: int, last: int) -> str:
    return text[words[first].start:words[last - 1].end]


def _english(question: str, previous: str) -> str | None:
    match = ELLIPSIS.match(question)
    return (match and _english_ellipsis(match["phrase"], previous)) or _english_pronouns(
        question, previous)


def _english_ellipsis(phrase: str, previous: str) -> str | None:
    """The earlier question with the contrasted phrase in the place of its counterpart."""
    given = _words(phrase)
    modifier_only = bool(given) and given[-1].low in ("one", "ones")  # "a large one"
    if modifier_only:
        given = given[:-1]
    if not given or any(w.low in WH | AUX | PRONOUNS for w in given):
        return None
    preposition = given[0].low if given[0].low in PREPOSITIONS else None
    noun = given[1:] if preposition else given
    own = _phrases(noun)
    if not own or own[0].first != 0:
        return None
    head = noun[own[0].last - 1].low
    words = _words(previous)
    phrases = [p for p in _phrases(words) if not _pronoun_phrase(words, p)]
    target = _counterpart(words, phrases, noun, head, preposition)
    if target is None:
        return None
    found, word, _ = target
    if modifier_only and word is None:  # "the late one" for "the early shift": "late shift"
        modifiers = " ".join(w.text for w in noun if w.low not in DETERMINERS)
        first, head_at = found.first + found.determiner, found.last - 1
        if not modifiers or first > head_at:
            return None
        start = words[first].start
        return previous[:start] + modifiers + " " + previous[words[head_at].start:]
    text, first, last = _replacement(phrase, given, preposition, target, words,
                                     own[0].determiner)
    out = previous[:words[first].start] + text + previous[words[last - 1].end:]
    return _agreeing(out, words, first, _plural(noun, own[0]))


def _pronoun_phrase(words: list[Word], phrase: Phrase) -> bool:
    return phrase.last - phrase.first == 1 and words[phrase.first].low in PRONOUNS


def _stem(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _counterpart(words: list[Word], phrases: list[Phrase], noun: list[Word], head: str,
                 preposition: str | None) -> tuple[Phrase, int | None, bool] | None:
    """Which phrase of the earlier question the given one contrasts with; when only one
    modifier of it does ("medium" for "light" in "a light roast"), that word; and whether
    the two share their head noun (then the earlier determiner stays)."""
    for phrase in phrases:  # the same head noun: "part-time employees" / "full-time employees"
        for i in range(phrase.first + phrase.determiner, phrase.last):
            if _stem(words[i].low) == _stem(head):
                return Phrase(phrase.first, i + 1, phrase.determiner), None, True
    modifiers = [w for w in noun if w.low not in DETERMINERS]
    for contrast in CONTRASTS:  # "weekends" / "weekdays", "medium" / "light"
        if head in contrast:
            for phrase in phrases:
                for i in range(phrase.first, phrase.last):
                    if words[i].low in contrast and words[i].low != head:
                        alone = i == phrase.last - 1 or len(modifiers) > 1
                        return phrase, (None if alone else i), False
    if preposition is not None:  # "and for cold brew?": the phrase after the same preposition
        for phrase in phrases:
            if phrase.first > 0 and words[phrase.first - 1].low == preposition:
                return phrase, None, False
    if noun[0].text[0].isdigit():  # "1 kg" for "200 g"
        for phrase in phrases:
            if words[phrase.first + phrase.determiner].text[0].isdigit():
                return phrase, None, False
    if noun[0].text[0].isupper():  # a name for a name: "Seoul" for "Busan"
        for phrase in phrases:
            if phrase.first > 0 and words[phrase.last - 1].text[0].isupper():
                return phrase, None, False
    # the subject; or the last phrase: after "is" ("What is the price of a cafe latte?"),
    # after "do I/you …", with no auxiliary ("How many grams go into a pour-over?")
    aux = _first_aux(words)
    if (aux is None or words[aux].low in BE
            or (aux + 1 < len(words) and words[aux + 1].low in PRONOUNS)):
        later = [p for p in phrases if aux is None or p.first > aux] or phrases
        return (later[-1], None, False) if later else None
    found = _subject(words, phrases)
    return (found, None, False) if found else None


def _replacement(phrase: str, given: list[Word], preposition: str | None,
                 target: tuple[Phrase, int | None, bool], words: list[Word],
                 own_determiner: bool) -> tuple[str, int, int]:
    """The text to put in and the words it replaces."""
    found, word, same_head = target
    start = 1 if preposition else 0
    text = phrase[given[start].start:given[-1].end]
    if word is not None:  # the modifier alone, without its determiner
        return given[-1].text, word, word + 1
    first = found.first + (found.determiner and same_head and not own_determiner)
    last = found.last
    # "a bag of single origin" for "a bag of house blend": the "of …" goes too
    if "of" in {w.low for w in given} and last < len(words) and words[last].low == "of":
        last = next((p.last for p in _phrases(words) if p.first == last + 1), last)
    return text, first, last


def _agreeing(text: str, words: list[Word], at: int, plural: bool) -> str:
    """`text` (words of which words[at] was replaced) with the auxiliary right before that
    word made to agree: "When are green beans roasted?" → "When is decaf roasted?"."""
    if at == 0 or words[at - 1].low not in AUX:
        return text
    aux = words[at - 1]
    form = (PLURAL_AUX if plural else SINGULAR_AUX).get(aux.low, aux.low)
    return text[:aux.start] + (form.capitalize() if aux.text[0].isupper() else form) + text[
        aux.end:]


def _english_pronouns(question: str, previous: str) -> str | None:
    """The question with each pronoun that points back replaced by the earlier topic."""
    words = _words(question)
    points_back = [i for i in range(len(words)) if _points_back(words, i)]
    if not points_back:
        return None
    # the first such pronoun takes the topic; a later one has it in the question then ("Why
    # is it used for that?" keeps "that")
    i = points_back[0]
    earlier = _words(previous)
    topics = [(_span(previous, earlier, p.first, p.last), _plural(earlier, p))
              for p in _topics(earlier, words[i].low in PERSONAL)
              if not _pronoun_phrase(earlier, p)]
    topics = _which_topic(previous, earlier) + topics
    # "it" never stands for a plural (after "Do you grind beans?", "Is it free?" names no
    # phrase); "they" may for a singular ("Do they sell beans?": the store), but not after
    # "Who approves overtime?" (them: whoever does)
    singular = words[i].low in SINGULAR
    asks_who = len(earlier) > 1 and earlier[0].low == "who" and earlier[1].low not in AUX
    agreeing = [t for t in topics if t[1] != singular] if singular or asks_who else topics
    topic = next(iter(agreeing), None)
    if topic is None:
        return None
    text, plural = topic
    possessive = words[i].low in POSSESSIVE
    if possessive:
        text += "'" if text.endswith("s") else "'s"
    if i == 0 and question[0].isupper():
        text = text[0].upper() + text[1:]
    out = question[:words[i].start] + text + question[words[i].end:]
    if not possessive:
        out = _agreeing(out, words, i, plural)
    out = OPENER.sub("", out, count=1)
    # "And how long does it keep?" → "How long …"; typed in lower case, it stays so
    return (out[0].upper() if question[0].isupper() else out[0]) + out[1:]


def _points_back(words: list[Word], i: int) -> bool:
    """Whether words[i] is a pronoun whose referent is in the turn before."""
    low = words[i].low
    if low in DEMONSTRATIVES:
        return _demonstrative_pronoun(words, i)
    if low not in SINGULAR | PLURAL:
        return False
    if low == "her" and i + 1 < len(words) and _noun_like(words[i + 1].low):
        return False  # "her" as in "her schedule": taken as naming its own topic
    if low == "it" and _dummy_it(words, i):
        return False
    # its antecedent is the question's own subject: "Can employees carry over their leave?"
    aux = _first_aux(words)
    subject = 0 if aux is None else aux + 1
    return not any(p.first == subject and p.last <= i for p in _phrases(words[:i]))


def _dummy_it(words: list[Word], i: int) -> bool:
    """"it" standing for a clause later in the question: "What is it like to work here?",
    "How much does it cost to replace a lost parking permit?", "Is it true that …"."""
    later = [w.low for w in words[i + 1:] if w.text[0].isalnum()]
    if "worth" in later or (later and later[0] in WEATHER):  # "Is it worth …", "if it rains"
        return True
    for n, low in enumerate(later):
        # not "Does it need to be refrigerated?", "Does it apply to part-time staff?": a
        # verb's "to" (but "How much does it cost to replace …" is the clause)
        verbs_to = n > 0 and later[n - 1] in VERBS | CATENATIVES and later[n - 1] not in (
            "cost", "costs", "take", "takes", "took")
        if low == "to" and len(later) - n - 1 >= 2 and not verbs_to:
            return True
        if low in ("that", "if", "whether") and len(later) - n - 1 >= 2:
            return True
    return False


def _demonstrative_pronoun(words: list[Word], i: int) -> bool:
    """"that" in "Is that paid?", "Tell me more about that.", not in "that policy" (which
    names its topic) nor "say that …"."""
    before = words[i - 1].low if i > 0 else ""
    if (words[i].low == "that" and before and _noun_like(before)) or before in VERBS:
        return False
    if words[0].low == "why":  # "Why is that?" asks about the answer, which names nothing
        return False
    after = words[i + 1] if i + 1 < len(words) else None
    if after is None or not after.text[0].isalnum() or not _noun_like(after.low):
        return True
    # "Is that free?": one word and the end, after "is"
    ends = i + 2 >= len(words) or not words[i + 2].text[0].isalnum()
    return ends and before in AUX


# ---- Korean ------------------------------------------------------------------------------

# the particles a noun takes, longest first
PARTICLES = ("에서는", "에서도", "에게는", "으로는", "에서", "에게", "에는", "에도", "으로", "까지",
             "부터", "처럼", "보다", "이랑", "한테", "은", "는", "이", "가", "을", "를", "에", "의",
             "도", "로", "와", "과", "만")
# particles that take one form after a final consonant and another after a vowel
PAIRED = {"은": "는", "는": "은", "이": "가", "가": "이", "을": "를", "를": "을", "과": "와",
          "와": "과", "으로": "로", "로": "으로"}
CONNECTIVE = re.compile(r"^(?:그럼|그러면|그렇다면|그리고)\s+")
# a noun phrase and 은/는, then 요 (or nothing, after 그럼): "시간제 직원은요?", "그럼 콜드 브루는?"
KOREAN_ELLIPSIS = re.compile(r"^(?P<phrase>(?:\S+\s){0,2}\S+[은는])(?P<polite>요)?[\s?]*$")
# 그것/그거 + particle, the contractions 그건/그게/그걸, 거기 (there), 그 사람/그분 (that person)
KOREAN_PRONOUN = re.compile(
    r"^(?:(?P<thing>그것|그거|이것|이거)(?P<particle>\S*)|(?P<short>그건|그게|그걸|이건|이게|이걸)"
    r"|(?P<place>거기)(?P<place_particle>\S*)|(?:그\s사람|그분)(?P<person_particle>\S*))$")
CONTRACTIONS = {"건": "은", "게": "이", "걸": "을"}
PLACE_PARTICLES = {"": "에", "서": "에서", "에서": "에서", "에": "에", "는": "에는", "도": "에도"}
QUESTION_WORDS = ("누구", "무엇", "뭐", "어디", "언제", "얼마", "몇", "어떤", "무슨", "왜")
# noun sets whose members stand in for each other: times of the week and day
KOREAN_CONTRASTS = [_listed(listed) for listed in (
    "평일 주말 공휴일 월요일 화요일 수요일 목요일 금요일 토요일 일요일 오전 오후 아침 저녁",
    "라이트 미디엄 다크",
    "아이스 핫",
)]


def _split_particle(word: str) -> tuple[str, str]:
    """A Korean word as its noun and its particle ("직원은" → "직원", "은")."""
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) > len(particle):
            return word[:-len(particle)], particle
    return word, ""


def _fit(noun: str, particle: str) -> str:
    """The particle in its form after this noun (콜드 브루는, 원두를, 매장은)."""
    if particle not in PAIRED:
        return particle
    last = noun[-1]
    consonant = "\uac00" <= last <= "\ud7a3" and (ord(last) - 0xAC00) % 28 != 0
    if particle in ("으로", "로"):
        rieul = consonant and (ord(last) - 0xAC00) % 28 == 8
        wanted = "으로" if consonant and not rieul else "로"
    else:
        wanted = particle if (particle in "은이을과") == consonant else PAIRED[particle]
    return wanted


def _korean(question: str, previous: str) -> str | None:
    body = CONNECTIVE.sub("", question)
    if (match := KOREAN_ELLIPSIS.match(body)) and (body != question or match["polite"]):
        return _korean_ellipsis(match["phrase"].strip(), previous)
    return _korean_pronouns(body, previous)


def _korean_ellipsis(phrase: str, previous: str) -> str | None:
    *modifiers, last = phrase.split()
    head, _ = _split_particle(last)
    noun = " ".join([*modifiers, head])
    words = previous.split()
    found = _korean_counterpart(words, head)
    if found is None:
        return None
    first, at = found
    _, particle = _split_particle(words[at].rstrip("?"))
    tail = words[at][len(words[at].rstrip("?")):]
    return " ".join([*words[:first], noun + _fit(noun, particle) + tail, *words[at + 1:]])


def _korean_counterpart(words: list[str], head: str) -> tuple[int, int] | None:
    """Where in the earlier question the contrasted noun goes: (first word, last word)."""
    for at, word in enumerate(words):  # the same head noun: 시간제 직원 / 정규직 직원
        if word.startswith(head) and word[len(head):].rstrip("?") in ("", *PARTICLES):
            return _korean_modifiers(words, at), at
    for contrast in KOREAN_CONTRASTS:  # 주말 / 평일
        if head in contrast:
            for at, word in enumerate(words):
                if _split_particle(word)[0] in contrast - {head}:
                    return at, at
    if head[0].isdigit():  # 1킬로그램 / 200그램
        for at, word in enumerate(words):
            if word[0].isdigit():
                return at, at
    topic = _korean_topic(words)
    return (topic[0], topic[1] - 1) if topic else None


def _korean_modifiers(words: list[str], at: int) -> int:
    """The first of the bare nouns before words[at] that belong to its phrase (정규직 직원)."""
    first = at
    while first > 0 and _split_particle(words[first - 1])[1] == "" and not words[
            first - 1].startswith((*QUESTION_WORDS, "그", "이", "저")):
        first -= 1
    return first


def _korean_topic(words: list[str]) -> tuple[int, int] | None:
    """The earlier question's topic as the words [first, last): the first noun marked as the
    topic (은/는, also 에는 …), else the subject (이/가), else the object (을/를)."""
    for marked in (("은", "는"), ("이", "가"), ("을", "를")):
        for at, word in enumerate(words):
            noun, particle = _split_particle(word)
            if particle.endswith(marked) and not noun.startswith(QUESTION_WORDS):
                return _korean_modifiers(words, at), at + 1
    return None


def _korean_pronouns(question: str, previous: str) -> str | None:
    words = previous.split()
    topic = _korean_topic(words)
    if topic is None:
        return None
    first, last = topic
    noun = " ".join([*words[first:last - 1], _split_particle(words[last - 1])[0]])
    parts = re.split(r"(그\s사람\S*|\S+)", question)
    changed = False
    for n, part in enumerate(parts):
        match = KOREAN_PRONOUN.match(part)
        if not match:
            continue
        if match["short"]:
            particle = CONTRACTIONS[match["short"][-1]]
        elif match["place"]:
            particle = PLACE_PARTICLES.get(match["place_particle"], match["place_particle"])
        else:
            particle = match["particle"] or match["person_particle"] or ""
        parts[n] = noun + _fit(noun, particle)
        changed = True
    return "".join(parts) if changed else None
