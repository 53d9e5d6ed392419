"""Qualifiers: which group, currency, time, place or unit a question and a sentence speak of.

"How many days of leave do part-time employees get?" is not answered by "Full-time
employees receive 18 days", nor "What is a latte in dollars?" by a price in won. A
qualifier is one value of a closed set (full-time / part-time, won / dollars, weekday /
weekend, Seoul / Busan, minutes / hours); a sentence clashes with the question when it
names another value of a set the question names, and not the question's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# an English word is cut where letters stop: "price_krw" holds "krw", "18days" "days"
_EN = r"(?<![a-z]){}(?![a-z])"


def _en(*words: str) -> str:
    return "|".join(_EN.format(word) for word in words)


def _after_number(*words: str) -> str:
    """Korean counters and symbols count only after a number ("4,800원", "90만 원", not
    "원두")."""
    return "|".join(rf"(?<=[\d만억])\s?{word}|몇\s?{word}" for word in words)


@dataclass(frozen=True)
class Value:
    """One qualifier: how the reader is told of it (English, Korean), and how it is written."""

    en: str
    ko: str
    pattern: re.Pattern[str]


def _value(en: str, ko: str, pattern: str) -> Value:
    return Value(en, ko, re.compile(pattern, re.IGNORECASE))


# sets whose values are never incidental: a sentence naming another one speaks of something
# else ("weekends", "part-time", "won", "Celsius" appear where they are meant)
SENTENCE_SETS: list[list[Value]] = [
    [_value("full-time staff", "정규직", _en("full[- ]?time") + "|정규직|풀타임|전일제"),
     _value("part-time staff", "시간제 직원",
            _en("part[- ]?time", "part[- ]?timers?") + "|시간제|파트타임|단시간|아르바이트")],
    [_value("adults", "성인", _en("adults?") + "|성인|어른"),
     _value("children", "어린이", _en("child(ren)?", "kids?") + "|어린이|아동|소인"),
     _value("seniors", "경로", _en("seniors?") + "|경로|노인")],
    [_value("members", "회원", r"(?<![a-z-])members?(?![a-z])|(?<!비)회원"),
     _value("non-members", "비회원", _en("non-?members?") + "|비회원")],
    CURRENCIES := [
        _value("won", "원화", r"(?<=\d)\s?won\b|korean won|\bin won\b|" + _en("krw")
               + "|₩|원화|" + _after_number("원")),
        _value("dollars", "달러", _en("dollars?", "usd") + r"|\$|달러"),
        _value("euros", "유로", _en("euros?", "eur") + "|€|유로"),
        _value("yen", "엔", _en("yen", "jpy") + "|¥|엔화|" + _after_number("엔"))],
    TEMPERATURES := [
        _value("degrees Celsius", "섭씨", _en("celsius", "°c", "degrees celsius") + "|섭씨"),
        _value("degrees Fahrenheit", "화씨",
               _en("fahrenheit", "°f", "degrees fahrenheit") + "|화씨")],
    [_value("weekdays", "평일", _en("weekdays?") + "|평일|주중"),
     _value("weekends", "주말", _en("weekends?") + "|주말")],
    [_value("Seoul", "서울", _en("seoul") + "|서울"),
     _value("Busan", "부산", _en("busan", "pusan") + "|부산"),
     _value("Incheon", "인천", _en("incheon") + "|인천"),
     _value("Daegu", "대구", _en("daegu") + "|대구"),
     _value("Daejeon", "대전", _en("daejeon") + "|대전"),
     _value("Gwangju", "광주", _en("gwangju") + "|광주"),
     _value("Jeju", "제주", _en("jeju") + "|제주")],
]

# units: a number's own unit says what it counts. Only the unit right after the answer's
# number is compared ("a 30 minute break in an 8 hour shift" answers "how many hours" 8);
# a question naming units of any of these sets asks for one of them ("how many grams" is
# not answered by "30 seconds")
UNIT_SETS: list[list[Value]] = [
    [_value("seconds", "초", _en("seconds?", "secs?") + "|" + _after_number("초")),
     _value("minutes", "분", _en("minutes?", "mins?") + "|" + _after_number("분")),
     _value("hours", "시간", _en("hours?", "hrs?") + "|" + _after_number("시간(?!제)")),
     _value("days", "일", _en("days?") + "|며칠|" + _after_number("일(?!요일)")),
     _value("weeks", "주", _en("weeks?") + "|" + _after_number("주(?!말)")),
     _value("months", "개월", _en("months?") + "|" + _after_number("개월", "달")),
     _value("years", "년", _en("years?") + "|" + _after_number("년"))],
    [_value("grams", "그램", _en("grams?", "g") + "|그램|" + _after_number("g")),
     _value("kilograms", "킬로그램", _en("kilograms?", "kilos?", "kg") + "|킬로그램|킬로")],
    [_value("millilitres", "밀리리터", _en("millilit(re|er)s?", "ml") + "|밀리리터"),
     _value("litres", "리터", _en("lit(re|er)s?", "l") + "|(?<!밀리)리터")],
    PERCENT := [_value("percent", "퍼센트", _en("percent(age)?", "per cent") + "|%|퍼센트")],
    [_value("metres", "미터", _en("met(re|er)s?", "m")
            + "|(?<!킬로)(?<!센티)(?<!밀리)미터"),
     _value("kilometres", "킬로미터", _en("kilomet(re|er)s?", "km") + "|킬로미터"),
     _value("centimetres", "센티미터", _en("centimet(re|er)s?", "cm") + "|센티미터"),
     _value("miles", "마일", _en("miles?") + "|마일")],
]
# what a number measures: a question naming one of these asks for it, whatever the set
MEASURE_SETS = [*UNIT_SETS, CURRENCIES, TEMPERATURES]
# counters kept with a number but never compared: "12 people", "3 cups", "20%", "5명"
COUNTER = re.compile(_en("people", "persons?", "times", "cups?", "bags?",
                         "batch(es)?", "pieces?", "employees", "staff", "items?", "degrees")
                     + "|" + _after_number("명", "개", "잔", "번", "회", "층", "도", "세", "권",
                                           "장", "대", "시"), re.IGNORECASE)
UNIT_WORD = re.compile(r"\s?(°[CF]|%|[^\W\d_]+(?: (?:celsius|fahrenheit)\b)?)", re.IGNORECASE)


@dataclass(frozen=True)
class Clash:
    """The sentence names `found` where the question asks for `asked`."""

    asked: Value
    found: Value

    def words(self, lang: str) -> tuple[str, str]:
        """What was asked for and what the sentence gives, in the reader's language."""
        return ((self.asked.ko, self.found.ko) if lang == "ko"
                else (self.asked.en, self.found.en))


def _named(values: list[Value], text: str) -> list[Value]:
    return [value for value in values if value.pattern.search(text)]


def sentence_clash(question: str, sentence: str) -> Clash | None:
    """The first set in which the sentence names only values the question does not ask for."""
    for values in SENTENCE_SETS:
        asked, found = _named(values, question), _named(values, sentence)
        if asked and found and not any(value in found for value in asked):
            return Clash(asked[0], found[0])
    return None


def _written_unit(text: str, end: int) -> tuple[str, Value | None, bool]:
    """The word right after the number ending at `end` (a Hangul word without its particle:
    "원입니다" → "원"), the unit it is, and whether it is a unit or counter at all."""
    word = UNIT_WORD.match(text, end)
    if word is None:
        return "", None, False
    start, stop = word.start(1), word.end()
    hangul = "가" <= text[start] <= "힣"
    for length in range(stop - start, 0, -1) if hangul else (stop - start,):
        spans = ((end, start + length), (start, start + length))
        for values in (*UNIT_SETS, *SENTENCE_SETS):
            for value in values:
                if any(value.pattern.fullmatch(text, *span) for span in spans):
                    return text[end:start + length], value, True
        if any(COUNTER.fullmatch(text, *span) for span in spans):
            return text[end:start + length], None, True
    return "", None, False


def unit_after(text: str, end: int) -> Value | None:
    """The unit written right after the number that ends at `end` ("30 minute", "4,800원")."""
    return _written_unit(text, end)[1]


def unit_word(text: str, end: int) -> str:
    """The unit or counter right after the number that ends at `end`, with the space before
    it, a singular English unit made plural after a number other than 1 ("30 minute" →
    " minutes"); "" when the next word is neither."""
    written, unit, found = _written_unit(text, end)
    if not found:
        return ""
    number = text[:end].rsplit(maxsplit=1)[-1] if text[:end].strip() else ""
    plural = unit is not None and unit.en.endswith(written.strip() + "s")
    return written + "s" if plural and number.lstrip("0") != "1" else written


# a table cell as the loaders write a row ("price_krw: 4800", lines joined in a sentence):
# the header before the value, and after the value the text's end or the next header
CELL_HEADER = re.compile(r"(?:^|\s)([^\s:]+(?: \([^)]*\))?):[ \t]*$")
NEXT_CELL = re.compile(r"[ \t]*(?:$|\n|\s[^\s:]+(?: \([^)]*\))?:\s)")
HEADER_UNIT = re.compile(r"\(([^)]*)\)")
# a currency sign before the number: "$15", "₩4,800", "US$ 3"
SIGN_BEFORE = re.compile(r"[$₩€¥]\s?$")


def cell_header(text: str, start: int, end: int) -> str | None:
    """The column header of a number that is a table cell's whole value ("price_krw" for
    the 4800 of "size: regular price_krw: 4800"), else None."""
    header = CELL_HEADER.search(text, 0, start)
    if header is None or header.end() != start or not NEXT_CELL.match(text, end):
        return None
    return header.group(1)


def _header_unit(header: str) -> Value | None:
    """The unit or currency a column header names: "price_krw", "weight_kg", "가격(원)"."""
    for values in MEASURE_SETS:
        for value in values:
            if value.pattern.search(header):
                return value
    inside = HEADER_UNIT.search(header)
    return unit_after(f"0{inside.group(1)}", 1) if inside else None


UnitKey = Value | str


def number_unit(text: str, start: int, end: int) -> UnitKey | None:
    """What the number at `text[start:end]` counts, to compare across texts: its unit
    ("30 minute" and "30분": minutes), else the counter written after it ("5 employees":
    "employee"), a currency sign before it ("$15"), or the unit its table column's header
    names ("price_krw: 4800": won); None when nothing says."""
    after = end + 1 if text[end:end + 1] == "-" else end  # "a 30-minute break"
    written, unit, found = _written_unit(text, after)
    if unit is not None:
        return unit
    if found:
        return written.strip().casefold().removesuffix("s")
    if (sign := SIGN_BEFORE.search(text, 0, start)) is not None and sign.end() == start:
        return next(value for value in CURRENCIES if value.pattern.search(sign.group()))
    header = cell_header(text, start, end)
    return _header_unit(header) if header is not None else None


# a question asking how long is not answered by a share or a price ("How long is the
# notice period?" by "30 percent", the fee in the sentence next to it)
HOW_LONG = _value("a length of time", "기간",
                  r"\bhow long\b|얼마나\s?(오래|전|걸리|일찍)|얼마\s?동안|기간")
NO_DURATIONS = [*CURRENCIES, *PERCENT]


def unit_clash(question: str, unit: Value | None) -> Clash | None:
    """A number's unit against the question's: "how many hours" and "30 minutes" clash, and
    so do "how many grams" and "30 seconds", and "how long" and "30 percent"."""
    if unit is None:
        return None
    if unit in NO_DURATIONS and HOW_LONG.pattern.search(question):
        return Clash(HOW_LONG, unit)
    if any(unit in values for values in MEASURE_SETS):
        asked = [value for values in MEASURE_SETS for value in _named(values, question)]
    else:
        asked = next((_named(values, question) for values in SENTENCE_SETS if unit in values), [])
    return Clash(asked[0], unit) if asked and unit not in asked else None


def unit_asked(question: str, unit: Value | None) -> bool:
    """Whether the question names this unit ("how many grams" and "30 grams")."""
    return unit is not None and unit.pattern.search(question) is not None
