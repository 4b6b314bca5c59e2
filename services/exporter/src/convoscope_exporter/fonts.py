"""Unicode fonts for the PDF report: Noto for most scripts, a CJK TrueType font, per-character
fallback, and right-to-left shaping for Arabic and Hebrew.

Where the fonts come from:

- ``manimgx-fonts`` (PyPI, SIL OFL 1.1) ships Noto Sans (Latin, Greek, Cyrillic), Noto Sans
  Arabic, Hebrew, the Indic and South-East Asian scripts, Noto Sans Symbols and the
  monochrome Noto Emoji, all with TrueType outlines reportlab can embed.
- Chinese, Japanese and Korean need a TrueType-outline CJK font; Noto Sans CJK is CFF, which
  reportlab cannot embed. Every file found among ``CONVOSCOPE_CJK_FONT`` and the Debian
  packages ``fonts-droid-fallback`` (Han and kana) and ``fonts-wqy-zenhei`` (also Hangul)
  joins the chain, in that order; without any, CJK characters render as boxes and
  :func:`font_set` says so once in the log.

Every character is set in the first font of :data:`_CHAIN` whose character map has it, so
a title that mixes English, Chinese and an emoji gets three fonts in one line and every
glyph is real. Arabic and Hebrew runs are shaped (contextual forms) and put in visual order
before drawing, because reportlab lays text out left to right.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import arabic_reshaper
import manimgx_fonts
import structlog
from bidi import get_display
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

log = structlog.get_logger(__name__)

BASE = "CS-Sans"
CJK = "CS-CJK"
ARABIC = "CS-Arabic"
HEBREW = "CS-Hebrew"
RTL_FONTS = frozenset({ARABIC, HEBREW})

_NOTO_DIR = Path(manimgx_fonts.__file__).parent
# (reportlab name, file in manimgx-fonts), in fallback order after the CJK font.
_NOTO: tuple[tuple[str, str], ...] = (
    (BASE, "NotoSans[wght].ttf"),
    (ARABIC, "NotoSansArabic[wght].ttf"),
    (HEBREW, "NotoSansHebrew[wght].ttf"),
    ("CS-Devanagari", "NotoSansDevanagari[wght].ttf"),
    ("CS-Bengali", "NotoSansBengali[wght].ttf"),
    ("CS-Thai", "NotoSansThai[wght].ttf"),
    ("CS-Tamil", "NotoSansTamil[wght].ttf"),
    ("CS-Armenian", "NotoSansArmenian[wght].ttf"),
    ("CS-Georgian", "NotoSansGeorgian[wght].ttf"),
    ("CS-Ethiopic", "NotoSansEthiopic[wght].ttf"),
    ("CS-Symbols", "NotoSansSymbols[wght].ttf"),
    ("CS-Emoji", "NotoEmoji[wght].ttf"),
)
CJK_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
# Joiners and variation selectors have no glyph of their own: they stay in the text (so it
# extracts back unchanged) in the font of the character they modify.
_ZERO_WIDTH = frozenset({0x200C, 0x200D, 0xFE0E, 0xFE0F})


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with code points above U+FFFF written as UTF-16 surrogate
    pairs: reportlab writes them as 5 hex digits, which readers cut to 4 (an emoji would
    extract as a Greek letter)."""

    def utf16(code: int) -> str:
        return chr(code).encode("utf-16-be", "surrogatepass").hex().upper()

    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{utf16(v)}>" for i, v in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


@dataclass(frozen=True)
class FontSet:
    """The registered fonts and which code points each one draws."""

    chain: tuple[str, ...]
    coverage: dict[str, frozenset[int]] = field(repr=False)
    cjk_files: tuple[str, ...]

    @property
    def cjk_file(self) -> str | None:
        """The first CJK font in use (None: CJK text cannot be drawn)."""
        return self.cjk_files[0] if self.cjk_files else None

    def font_for(self, char: str) -> str:
        """The first font in the chain with a glyph for ``char`` (the base font if none)."""
        code = ord(char)
        for name in self.chain:
            if code in self.coverage[name]:
                return name
        return BASE

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` split into (font, run) pieces; spaces and joiners join the run they are in."""
        out: list[tuple[str, str]] = []
        for char in text:
            code = ord(char)
            if out and (code in _ZERO_WIDTH or (char == " " and out[-1][0] != BASE)):
                out[-1] = (out[-1][0], out[-1][1] + char)
                continue
            font = self.font_for(char)
            if out and out[-1][0] == font:
                out[-1] = (font, out[-1][1] + char)
            else:
                out.append((font, char))
        return out

    def markup(self, text: str) -> str:
        """``text`` as escaped reportlab Paragraph markup with a ``<font>`` per run."""
        parts = []
        for font, run in self.runs(text):
            shown = escape(visual_order(run) if font in RTL_FONTS else run)
            parts.append(shown if font == BASE else f'<font face="{font}">{shown}</font>')
        return "".join(parts)

    def width(self, text: str, size: float) -> float:
        """Drawn width of ``text`` at ``size`` points, each run in its own font."""
        return sum(
            float(
                pdfmetrics.stringWidth(visual_order(run) if font in RTL_FONTS else run, font, size)
            )
            for font, run in self.runs(text)
        )

    def wrapped_markup(self, text: str, width: float, size: float) -> str:
        """:meth:`markup`, with right-to-left text broken into lines of at most ``width``
        first: each line is put in visual order on its own, so a wrapped Arabic title
        reads top to bottom (wrapping text already in visual order would reverse its
        lines). Text without right-to-left runs is left to the paragraph's own wrapping."""
        if not any(font in RTL_FONTS for font, _ in self.runs(text)):
            return self.markup(text)
        lines: list[str] = []
        current = ""
        for word in text.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and self.width(candidate, size) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
        return "<br/>".join(self.markup(line) for line in lines)

    def label_font(self, text: str) -> str:
        """One font for a chart label (a reportlab String has one font): the font of the
        label's first character outside the base font, else the base font."""
        for font, _run in self.runs(text):
            if font != BASE:
                return font
        return BASE

    def label_text(self, text: str) -> str:
        """``text`` ready to draw in :meth:`label_font` (right-to-left runs in visual order)."""
        return visual_order(text) if self.label_font(text) in RTL_FONTS else text


def visual_order(text: str) -> str:
    """Arabic letters in their contextual forms and right-to-left text in visual order."""
    return str(get_display(arabic_reshaper.reshape(text)))


def _cjk_files() -> list[str]:
    override = os.environ.get("CONVOSCOPE_CJK_FONT", "")
    return [c for c in dict.fromkeys((override, *CJK_CANDIDATES)) if c and Path(c).is_file()]


def _register(name: str, path: str) -> frozenset[int]:
    font = TTFont(name, path, shapable=False)
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


@cache
def font_set() -> FontSet:
    """Register the report fonts with reportlab once per process and return them."""
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    coverage = {name: _register(name, str(_NOTO_DIR / file)) for name, file in _NOTO}
    cjk = _cjk_files()
    chain = [name for name, _ in _NOTO]
    if not cjk:
        log.warning("pdf_cjk_font_missing", candidates=list(CJK_CANDIDATES))
    for i, path in enumerate(cjk):
        name = CJK if i == 0 else f"{CJK}-{i + 1}"
        coverage[name] = _register(name, path)
        chain.insert(1 + i, name)  # after Noto Sans, which has no Han, kana or Hangul
    return FontSet(chain=tuple(chain), coverage=coverage, cjk_files=tuple(cjk))
