"""Person names in non-Latin scripts (BEST EFFORT, precision first), by announcing cues.

The language detector runs after redaction (on redacted text), so these cues are
chosen by script, which tells the language family: Cyrillic (Russian, Ukrainian),
Han and Kana (Chinese, Japanese), Hangul (Korean), Arabic. As for Latin names, only a
name that is announced is found: "меня зовут Анна", "我叫王小明", "田中太郎と申します",
"제 이름은 김민수입니다", "اسمي محمد", a form field ("ФИО:", "姓名：", "氏名：", "성명:",
"الاسم:"), a letter's salutation or sign-off. Where a cue is also ordinary language
("我叫外卖" orders a delivery, "私は学生です" is "I am a student"), the name must start
with a common surname. Labelled set: tests/data/privacy_scripts.jsonl.
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors.names import NAME_PRIORITY
from convoscope_analyzer.privacy.entities import PERSON_NAME

# --- Cyrillic ------------------------------------------------------------------------
_CY_WORD = r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’]+(?:-[А-ЯЁІЇЄҐ][а-яёіїєґ'’]+)?"
_CY_NAME = rf"({_CY_WORD}(?:[ ]{_CY_WORD}){{0,2}})"
# Each cue is looked up with str.find in the lower-cased text and its pattern is matched
# only there (a regex search over every position of Cyrillic prose costs ~0.5 ms per kB).
# (cue words, pattern that starts with one of them)
_CY_CUES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # "меня зовут Анна", "мою сестру зовут Мария", Ukrainian "мене звати Олександр"
    (
        ("зовут", "звати", "звуть"),
        re.compile(rf"(?<![а-яёієїґ])[Зз](?:овут|вати|вуть)[ ]+{_CY_NAME}"),
    ),
    # salutations: "Уважаемый Сергей Иванович," "Шановний Андрію Петровичу,"
    (
        ("уважаем", "дорог", "шановн", "любий", "люба"),
        re.compile(
            rf"(?:[Уу]важаем(?:ый|ая|ые)|[Дд]орог(?:ой|ая|ие)|[Шш]ановн(?:ий|а|і)|[Лл]юб(?:ий|а))"
            rf"[ ]+{_CY_NAME}(?=[ ]*[,!:\n])"
        ),
    ),
    (
        ("привет,", "здравствуй", "добрый", "доброе", "привіт,", "добрий", "вітаю,"),
        re.compile(
            rf"(?:[Пп]ривет|[Зз]дравствуй(?:те)?|[Дд]обрый день|[Дд]оброе утро|[Дд]обрый вечер"
            rf"|[Пп]ривіт|[Дд]обрий день|[Вв]ітаю),[ ]*{_CY_NAME}(?=[ ]*[,!.:\n])"
        ),
    ),
    # sign-offs: "С уважением,\nИгорь Кузнецов"
    (
        ("с уважением", "с наилучшими", "всего доброго", "з повагою", "щиро ваш"),
        re.compile(
            rf"(?:[Сс] уважением|[Сс] наилучшими пожеланиями|[Вв]сего доброго|[Зз] повагою"
            rf"|[Щщ]иро ваш),?[ \t]*\n[ \t]*{_CY_NAME}[ \t]*(?=$|\n)"
        ),
    ),
)
# Form fields, the whole rest of the line (searched when a field word and ":" are there).
_CY_FIELD_WORDS = (
    "фио", "ф.и.о.", "имя", "фамилия", "отчество", "ім'я", "ім’я", "прізвище",
    "по батькові", "контактное лицо", "получатель", "отправитель",
)  # fmt: skip
_CY_FIELDS = re.compile(
    rf"(?m:^[ \t]*(?:ФИО|Ф\.И\.О\.|Имя|Фамилия|Отчество|Ім['’]я|Прізвище|По батькові"
    rf"|Контактное лицо|Получатель|Отправитель)[ \t]*:[ \t]*{_CY_NAME}[ \t]*$)"
)

# --- Chinese -------------------------------------------------------------------------
# The most common surnames (over 85 % of people in mainland China and Taiwan).
_ZH_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|慕容|令狐|皇甫|尉迟|公孙|夏侯|长孙|宇文|司徒|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|林|高|罗|郑|梁|谢|宋|唐|许|韩|"
    "冯|邓|曹|彭|曾|肖|田|董|袁|潘|于|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|"
    "钟|谭|陆|汪|范|金|石|廖|贾|夏|韦|付|方|白|邹|孟|熊|秦|邱|江|尹|薛|闫|段|雷|侯|龙|"
    "史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|莫|孔|向|汤|常|温|康|施|文|牛|樊|葛|"
    "邢|安|齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|翟|殷|詹|申|欧|耿|关|兰|焦|俞|左|柳|甘|"
    "祝|包|宁|尚|符|舒|阮|柯|纪|梅|童|凌|毕|单|季|裴|霍|涂|成|苗|谷|盛|曲|翁|冉|骆|蓝|"
    "路|游|辛|靳|管|柴|蒙|鲍|华|喻|祁|蒲|房|滕|屈|饶|解|牟|艾|尤|阳|时|穆|农|司|卓|古|"
    "吉|缪|简|车|项|连|芦|麦|褚|娄|窦|戚|岑|景|党|宫|费|卜|冷|晏|席|卫|米|柏|宗|瞿|桂|"
    "全|佟|应|臧|闵|苟|邬|边|卞|姬|师|和|仇|栾|隋|商|刁|沙|荣|巫|寇|桑|郎|甄|丛|仲|虞|"
    "敖|巩|明|佘|池|查|麻|苑|迟|邝"
)
_HAN = "\u4e00-\u9fff\u3400-\u4dbf"
_ZH_NAME_AFTER = r"(?=[，,。.！!？?、；;：:\s]|$|是|今年|在|的|先生|女士|小姐|老师|同学|教授|经理)"
_ZH_NAME = rf"((?:{_ZH_SURNAMES})[{_HAN}]{{1,2}}){_ZH_NAME_AFTER}"
_CHINESE = re.compile(
    rf"(?:我叫|我的名字(?:是|叫)|名字叫|(?:女儿|儿子|妈妈|爸爸|老婆|老公|丈夫|妻子|朋友|同事|"
    rf"哥哥|姐姐|弟弟|妹妹|孩子|老板|男朋友|女朋友)(?:名字)?叫|尊敬的|亲爱的)[ ]?{_ZH_NAME}"
)
# Form fields (Chinese and Japanese): the rest of the line is the name (2-5 Han characters).
_HAN_FIELDS = re.compile(
    rf"(?m:^[ \t]*(?:姓名|联系人|收件人|收货人|寄件人|氏名|お名前|名前|担当者?|申請者)[ \t]*[:：]"
    rf"[ \t]*([{_HAN}々]{{2,5}})[ \t]*$)"
)

# --- Japanese ------------------------------------------------------------------------
# Common surnames, for the weak cue "私は/僕は X です" (also "I am a student").
_JA_SURNAMES = (
    "佐々木|長谷川|五十嵐|久保田|大久保|"
    "佐藤|鈴木|高橋|田中|伊藤|渡辺|渡邊|山本|中村|小林|加藤|吉田|山田|山口|松本|井上|木村|"
    "斎藤|斉藤|清水|山崎|池田|橋本|阿部|石川|山下|中島|石井|小川|前田|岡田|藤田|後藤|近藤|"
    "村上|遠藤|青木|坂本|福田|太田|西村|藤井|金子|岡本|藤原|中野|三浦|原田|中川|松田|竹内|"
    "小野|田村|中山|和田|石田|森田|上田|内田|柴田|酒井|宮崎|横山|高木|安藤|宮本|大野|小島|"
    "工藤|谷口|今井|高田|丸山|増田|杉山|村田|大塚|小山|平野|藤本|河野|上野|野口|武田|松井|"
    "千葉|岩崎|菅原|木下|久保|佐野|野村|松尾|菊地|杉本|市川|古川|大西|島田|水野|桜井|高野|"
    "渡部|吉川|山内|西田|飯田|菊池|西川|小松|北村|安田|川口|平田|中田|服部|岩田|土屋|川崎|"
    "福島|本田|樋口|秋山|永井|中西|吉村|林|森|原|関|辻|東"
)
_JA_NAME = rf"([{_HAN}々]{{2,6}})"
_JAPANESE = re.compile(
    # "田中太郎と申します", after the start, punctuation or a space
    rf"(?:^|(?<=[、。\s「」！!？?]))([{_HAN}々]{{2,6}})と(?:申します|申し上げます|いいます|言います)"
    rf"|(?:私|わたし|僕|ぼく|俺)の名前は{_JA_NAME}(?:です|と申します|といいます)"
    rf"|(?:私|わたし|僕|ぼく)は((?:{_JA_SURNAMES})[{_HAN}々]{{0,3}})です"
    # a letter's address: a line holding only "鈴木様" or "山田太郎殿"
    rf"|(?m:^[ \t]*([{_HAN}々]{{1,6}})(?:様|殿)[ \t]*$)"
)

# --- Korean --------------------------------------------------------------------------
_KO_SURNAMES = (
    "황보|남궁|제갈|선우|독고|사공|서문|"
    "김|이|박|최|정|강|조|윤|장|임|한|오|서|신|권|황|안|송|류|유|홍|전|고|문|양|손|배|백|허|"
    "남|심|노|하|곽|성|차|주|우|구|민|진|나|지|엄|변|채|원|천|방|공|현|함|염|여|추|도|소|석|"
    "선|설|마|길|연|위|표|명|기|반|라|왕|금|옥|육|인|맹|제|모|탁|국|어|경|은|편|용|예|봉|"
    "사|부|가|복|태|목|형|계|피|두|감|음|빈|동|온|호|범|좌|팽|승|간|상|갈|단|견|당"
)
_KO_NAME = rf"((?:{_KO_SURNAMES})[가-힣]{{1,2}})"
_KOREAN = re.compile(
    rf"제[ ]?이름은[ ]?{_KO_NAME}(?=입니다|이에요|예요|이고|이며|이야|야|[ ,.!]|$)"
    rf"|저는[ ]?{_KO_NAME}(?:이)?라고[ ]?(?:합니다|해요|해)"
    rf"|(?m:^[ \t]*(?:이름|성명|성함|담당자|받는 ?사람)[ \t]*[:：][ \t]*{_KO_NAME}[ \t]*$)"
    rf"|(?m:^[ \t]*{_KO_NAME}[ ]?(?:님|씨)(?:께|에게)?[ \t]*[,，\n])"
)

# --- Arabic --------------------------------------------------------------------------
_AR_WORD = r"[\u0621-\u064A\u0671-\u06D3]+"
_AR_NAME = rf"({_AR_WORD}(?:[ ]{_AR_WORD}){{0,2}})"
_ARABIC = re.compile(
    rf"(?:^|(?<=[\s،,.!؟?:]))(?:اسمي|إسمي)[ ]+{_AR_NAME}"
    rf"|(?m:^[ \t]*(?:الاسم|الإسم|اسم العميل|الاسم الكامل)[ \t]*[:：][ \t]*{_AR_NAME}[ \t]*$)"
    rf"|(?:^|(?<=[\s]))(?:عزيزي|عزيزتي)[ ]+{_AR_NAME}(?=[ ]*[،,!:\n])"
    rf"|(?:مع خالص التحية|مع التحية|مع أطيب التحيات|تحياتي|مع فائق الاحترام)[ \t]*[،,]?[ \t]*\n"
    rf"[ \t]*{_AR_NAME}[ \t]*(?=$|\n)"
)
# Words that end a name after "اسمي": particles and verbs, with or without the "و" prefix.
_AR_STOP = frozenset(
    "و من في على إلى الى عن مع أنا انا وأنا هو هي أحتاج وأحتاج أريد وأريد أعمل وأعمل أسكن "
    "وأسكن عمري وعمري من فضلك وأبحث أبحث وهذا هذا".split()
)

_Cues = tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]
_SCRIPTS: tuple[tuple[str, _Cues], ...] = (
    ("cyrillic", (((":",), _CY_FIELDS),)),
    (
        "han",
        (
            (("叫", "名字", "尊敬的", "亲爱的"), _CHINESE),
            ((":", "："), _HAN_FIELDS),
            (("申", "いいます", "言います", "名前", "は", "様", "殿"), _JAPANESE),
        ),
    ),
    ("hangul", ((("이름", "라고", ":", "：", "님", "씨"), _KOREAN),)),
    ("arabic", ((("اسمي", "إسمي", "الاسم", "الإسم", "عزيز", "تحي", "احترام"), _ARABIC),)),
)


def find_script_names(text: str, scripts: frozenset[str]) -> list[Detection]:
    """Announced names in the given ``scripts`` ("cyrillic", "han", "hangul", "arabic")."""
    found: list[Detection] = []
    lowered = lower_same_length(text) if "cyrillic" in scripts else text
    if "cyrillic" in scripts:
        for words, pattern in _CY_CUES:
            for word in words:
                at = lowered.find(word)
                while at >= 0:
                    m = pattern.match(text, at)
                    if m is not None:
                        start, end = m.span(1)
                        found.append(
                            Detection(PERSON_NAME, start, end, "name_cyrillic", NAME_PRIORITY)
                        )
                    at = lowered.find(word, at + len(word))
    for script, cues in _SCRIPTS:
        if script not in scripts:
            continue
        for words, pattern in cues:
            if any(word in lowered for word in words):
                if script == "cyrillic" and not any(w in lowered for w in _CY_FIELD_WORDS):
                    continue
                found += _names(text, script, pattern)
    return found


def _names(text: str, script: str, pattern: re.Pattern[str]) -> list[Detection]:
    found: list[Detection] = []
    for m in pattern.finditer(text):
        group = next((g for g in range(1, (m.lastindex or 0) + 1) if m.group(g)), None)
        if group is None:
            continue
        start, end = m.span(group)
        if script == "arabic":
            end = _arabic_name_end(text, start, end)
        if end > start:
            found.append(Detection(PERSON_NAME, start, end, f"name_{script}", NAME_PRIORITY))
    return found


def _arabic_name_end(text: str, start: int, end: int) -> int:
    """Cut the name before the first particle or verb ("اسمي محمد العلي وأحتاج ...")."""
    pos = start
    for word in text[start:end].split(" "):
        if word in _AR_STOP:
            break
        pos += len(word) + 1
    return max(start, min(end, pos - 1))
