"""Names and addresses in non-Latin scripts through the redactor (issue 19, point 6)."""

from __future__ import annotations

from convoscope_analyzer.privacy import PrivacyConfig, Redactor
from convoscope_analyzer.privacy.entities import PERSON_NAME, STREET_ADDRESS
from convoscope_analyzer.privacy.scanner import detect, scripts_in


def test_scripts_are_read_from_the_letters() -> None:
    assert scripts_in("Меня зовут Анна") == {"cyrillic"}
    assert scripts_in("私の名前は佐藤花子です") == {"han"}
    assert scripts_in("제 이름은 김민수입니다") == {"hangul"}
    assert scripts_in("اسمي محمد") == {"arabic"}
    assert scripts_in("Crème brûlée, naïve café") == frozenset()


def test_the_same_name_gets_the_same_placeholder_across_messages() -> None:
    redactor = Redactor(PrivacyConfig())
    first, _ = redactor.redact_text("Здравствуйте! Меня зовут Анна Петрова.")
    second, _ = redactor.redact_text("С уважением,\nАнна Петрова")
    assert "Анна" not in first + second
    placeholder = first.split("зовут ")[1].rstrip(".")
    assert placeholder.startswith("<") and second.endswith(placeholder)


def test_addresses_are_redacted_and_the_sentence_kept() -> None:
    text, found = Redactor(PrivacyConfig()).redact_text("请寄到北京市朝阳区建国路88号。谢谢")
    assert [d.entity_type for d in found] == [STREET_ADDRESS]
    assert text.startswith("请寄到<") and text.endswith(">。谢谢")


def test_names_off_turns_off_the_script_names_only() -> None:
    text = "私の名前は佐藤花子です。住所：大阪府大阪市北区梅田1丁目2番3号"
    on = {d.entity_type for d in detect(text)}
    off = {d.entity_type for d in detect(text, detect_names=False)}
    assert on == {PERSON_NAME, STREET_ADDRESS}
    assert off == {STREET_ADDRESS}


def test_look_alikes_stay() -> None:
    for text in ("我叫外卖吧", "私は学生です", "저는 대학생입니다", "На улице было 30 градусов",
                 "ما اسم هذه الدالة؟", "Как назовут Ивана?"):  # fmt: skip
        assert detect(text) == [], text
