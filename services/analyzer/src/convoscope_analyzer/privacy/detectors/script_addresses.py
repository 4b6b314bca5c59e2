"""Street addresses in non-Latin scripts (best effort, precision first).

Chosen by script like the names (see script_names): Russian and Ukrainian street
words with a house number ("ул. Тверская, д. 7, кв. 15", "вул. Хрещатик, 22");
Chinese province/city/district + road + number ("北京市朝阳区建国路88号"); Japanese
prefecture + municipality + block numbers ("東京都新宿区西新宿2-8-1"); Korean road-name
addresses ("서울특별시 강남구 테헤란로 152"); Arabic street + number ("شارع الملك فهد، مبنى 12").
A street name without a number is not an address.
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors.address import ADDRESS_PRIORITY
from convoscope_analyzer.privacy.entities import STREET_ADDRESS

_NUM = "0-9０-９"

# --- Cyrillic ------------------------------------------------------------------------
_CY_STREET_BEFORE = (
    r"[Уу]л\.|[Уу]лиц[аеуы]|[Пп]р-т|[Пп]росп\.|[Пп]роспект[аеу]?|[Пп]ер\.|[Пп]ереул(?:ок|ке|ка)|"
    r"[Бб]-р|[Бб]ульвар[аеу]?|[Нн]аб\.|[Нн]абережн(?:ая|ой|ую)|[Шш]оссе|[Пп]л\.|[Пп]лощад[ьи]|"
    r"[Вв]ул\.|[Вв]улиц[яіею]|[Пп]ров\.|[Пп]ровулок|[Бб]ул\."
)
_CY_STREET_AFTER = (
    r"проспект[аеу]?|бульвар[аеу]?|переул(?:ок|ке)|шоссе|набережн(?:ая|ой)|пр\.|пр-т|пер\.|ул\.|"
    r"б-р|наб\.|просп\.|вул\."
)
_CY_NAME = (
    r"(?:[0-9]+-[яй][ ])?[А-ЯЁІЇЄҐ][а-яёіїєґА-ЯЁ'’-]+"
    r"(?:[ ][А-ЯЁІЇЄҐа-яёіїєґ][а-яёіїєґ'’-]+){0,2}"
)
_CY_HOUSE = r"(?:(?:д\.|дом|буд\.|будинок)[ ]?)?[0-9]{1,4}[А-Яа-я]?(?:/[0-9]{1,4})?"
_CY_MORE = (
    r"(?:,[ ]?(?:корп\.|корпус|к\.|стр\.|строение)[ ]?[0-9]{1,4}[А-Яа-я]?)?"
    r"(?:,[ ]?(?:кв\.|квартира|оф\.|офис)[ ]?[0-9]{1,5})?"
)
# The street word first ("ул. Тверская, д. 7"): matched only where str.find saw the word.
_CY_BEFORE = re.compile(
    rf"(?<![а-яёієїґА-ЯЁ])(?:{_CY_STREET_BEFORE})[ ]?{_CY_NAME},?[ ]?{_CY_HOUSE}\b{_CY_MORE}"
)
_CY_BEFORE_WORDS = (
    "ул.", "улиц", "пр-т", "просп", "пер.", "переул", "б-р", "бульвар", "наб.", "набережн",
    "шоссе", "пл.", "площад", "вул.", "вулиц", "пров.", "провулок", "бул.",
)  # fmt: skip
# The name first ("Невский проспект, д. 28", "Литейный пр., 10").
_CY_AFTER = re.compile(
    rf"\b[А-ЯЁІЇЄҐ][а-яёіїєґ-]+[ ](?:{_CY_STREET_AFTER})(?!\w),[ ]?{_CY_HOUSE}\b{_CY_MORE}"
)
_CY_AFTER_WORDS = (
    " проспект", " бульвар", " переул", " шоссе", " набережн", " пр.", " пр-т", " пер.",
    " ул.", " б-р", " наб.", " просп.", " вул.",
)  # fmt: skip

# --- Chinese -------------------------------------------------------------------------
_HAN = "\u4e00-\u9fff"
# A place name's first character is never one of these verbs or particles ("寄到北京市").
_NOT_FIRST = "到在寄是于往的住送从去来址为给"
_ZH_PLACE = rf"(?:(?![{_NOT_FIRST}])[{_HAN}]){{2,3}}"
_CHINESE = re.compile(
    rf"(?:{_ZH_PLACE}省)?{_ZH_PLACE}市(?:[{_HAN}]{{1,4}}?[区县])?[{_HAN}]{{0,12}}?"
    rf"(?:路|街|大道|道|巷|弄|胡同)(?:[一二三四五六七八九十{_NUM}]{{1,2}}段)?[{_NUM}]+号"
    rf"(?:[{_NUM}]+(?:楼|层|室)|[A-Z]座)*"
)

# --- Japanese ------------------------------------------------------------------------
_JAPANESE = re.compile(
    rf"(?:東京都|北海道|京都府|大阪府|[{_HAN}]{{2,3}}県)(?:[{_HAN}]{{1,5}}?[市区町村郡]){{1,3}}"
    rf"[{_HAN}\u3040-\u30ffー]{{0,8}}?[{_NUM}]+"
    rf"(?:[丁目番地号条東西南北の\-－−][{_NUM}]*)*"
)

# --- Korean --------------------------------------------------------------------------
_KOREAN = re.compile(
    r"(?:[가-힣]{2,6}(?:특별시|광역시|특별자치시|특별자치도|도|시)[ ])?"
    r"[가-힣]{1,5}(?:시|군|구)[ ](?:[가-힣]{1,5}(?:구|읍|면)[ ])?"
    r"[가-힣0-9]{1,10}(?:로|길)[ ]?[0-9]{1,5}(?:-[0-9]{1,4})?"
    r"(?:,?[ ][0-9]{1,4}동(?:[ ][0-9]{1,5}호)?)?"
)

# --- Arabic --------------------------------------------------------------------------
_AR_WORD = r"[\u0621-\u064A]+"
_AR_DIGITS = "0-9\u0660-\u0669"
_ARABIC = re.compile(
    rf"(?:شارع|طريق|جادة)[ ]{_AR_WORD}(?:[ ]{_AR_WORD}){{0,2}}?[ ]?[،,]?[ ]?"
    rf"(?:(?:رقم|مبنى|بناية|عمارة)[ ]?)?[{_AR_DIGITS}]{{1,5}}"
    rf"|(?<![{_AR_DIGITS}])[{_AR_DIGITS}]{{1,5}}[ ](?:شارع|طريق|جادة)[ ]{_AR_WORD}"
    rf"(?:[ ]{_AR_WORD})?"
)

# (script, words one of which the lower-cased text must hold, pattern)
_SCRIPTS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("cyrillic", _CY_AFTER_WORDS, _CY_AFTER),
    ("han", ("号",), _CHINESE),
    ("han", ("都", "道", "府", "県"), _JAPANESE),
    ("hangul", ("시 ", "구 ", "군 "), _KOREAN),  # a district before the road
    ("arabic", ("شارع", "طريق", "جادة"), _ARABIC),
)


def find_script_addresses(text: str, scripts: frozenset[str]) -> list[Detection]:
    """Street addresses in the given ``scripts`` ("cyrillic", "han", "hangul", "arabic")."""
    found: list[Detection] = []
    lowered = lower_same_length(text) if "cyrillic" in scripts else text
    if "cyrillic" in scripts:
        for word in _CY_BEFORE_WORDS:
            at = lowered.find(word)
            while at >= 0:
                m = _CY_BEFORE.match(text, at)
                if m is not None:
                    found.append(
                        Detection(
                            STREET_ADDRESS, m.start(), m.end(), "street_cyrillic", ADDRESS_PRIORITY
                        )
                    )
                at = lowered.find(word, at + len(word))
    for script, words, pattern in _SCRIPTS:
        if script in scripts and any(word in lowered for word in words):
            for m in pattern.finditer(text):
                found.append(
                    Detection(
                        STREET_ADDRESS, m.start(), m.end(), f"street_{script}", ADDRESS_PRIORITY
                    )
                )
    return found
