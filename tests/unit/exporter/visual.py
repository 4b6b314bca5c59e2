"""Poppler helpers for the visual tests: page images, text and word boxes of a PDF.

``pdftoppm`` and ``pdftotext`` come from the Debian package ``poppler-utils``; a missing
tool FAILS the test (never skips), naming the package to install.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# Marks poppler adds around right-to-left runs; not part of the text.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def tool(name: str) -> str:
    """The path of a poppler tool, or a failed test saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is required for the PDF visual tests: "
            "`apt-get update && apt-get install -y poppler-utils`",
            pytrace=False,
        )
    return path


def artifact_dir(name: str) -> Path:
    """A fresh folder under tests/artifacts/ (gitignored) for one test's images."""
    folder = ARTIFACTS / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def pdf_text(pdf: Path) -> str:
    """The PDF's text as poppler extracts it, NFKC-normalised (Arabic presentation forms
    back to letters) and without the direction marks poppler inserts."""
    raw = subprocess.run(
        [tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout.decode("utf-8")
    return _BIDI_CONTROLS.sub("", unicodedata.normalize("NFKC", raw))


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class PageBox:
    number: int
    width: float
    height: float
    words: list[Word]


def word_boxes(pdf: Path) -> list[PageBox]:
    """Every page's size and every word's bounding box (``pdftotext -bbox``)."""
    html = subprocess.run(
        [tool("pdftotext"), "-bbox", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout.decode("utf-8")
    ns = "{http://www.w3.org/1999/xhtml}"
    root = ET.fromstring(html)
    pages = []
    for number, page in enumerate(root.iter(f"{ns}page"), start=1):
        words = [
            Word(
                number,
                w.text or "",
                float(w.get("xMin", 0)),
                float(w.get("yMin", 0)),
                float(w.get("xMax", 0)),
                float(w.get("yMax", 0)),
            )
            for w in page.iter(f"{ns}word")
        ]
        pages.append(
            PageBox(number, float(page.get("width", 0)), float(page.get("height", 0)), words)
        )
    return pages


def outside_page(pages: list[PageBox]) -> list[Word]:
    """Words drawn (partly) outside their page."""
    slack = 0.5  # rounding in poppler's boxes
    return [
        w
        for p in pages
        for w in p.words
        if w.x_min < -slack
        or w.y_min < -slack
        or w.x_max > p.width + slack
        or w.y_max > p.height + slack
    ]


def render_pages(pdf: Path, folder: Path, dpi: int = 60) -> list[Path]:
    """Every page as a PNG in ``folder`` (``pdftoppm``), in page order."""
    subprocess.run(
        [tool("pdftoppm"), "-r", str(dpi), "-png", str(pdf), str(folder / "page")],
        check=True,
        timeout=300,
    )
    return sorted(folder.glob("page-*.png"))
