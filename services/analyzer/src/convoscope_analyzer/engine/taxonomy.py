"""Topic taxonomy: the categories conversations are classified into.

The default taxonomy ships as package data (``data/taxonomy.json``). A
deployment extends or replaces it with its own JSON or TOML file, no code
change needed::

    [[categories]]
    id = "gardening"
    label = "Gardening"
    keywords = ["garden", "soil", "compost", "seedlings"]

Keywords are lower-case words or multi-word phrases; ``keywords`` are English, and
``translations`` holds the keywords of other languages (``{"pt": ["planilha", ...]}``),
used for conversations in that language. Chinese, Japanese and Korean keywords are
matched as substrings (no spaces between words), so they need two characters or more.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import msgspec

from convoscope_analyzer.engine.errors import TaxonomyError

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TaxonomyCategory(msgspec.Struct, kw_only=True, frozen=True):
    """One category: a stable id, a readable label and its keywords."""

    id: str
    label: str
    keywords: tuple[str, ...] = ()  # English
    # Keywords in other languages, ISO 639-1 code -> keywords.
    translations: dict[str, tuple[str, ...]] = {}


class Taxonomy(msgspec.Struct, kw_only=True, frozen=True):
    """An ordered set of categories (ids unique)."""

    categories: tuple[TaxonomyCategory, ...] = ()


def parse_taxonomy(data: Any) -> Taxonomy:
    """Validate a decoded mapping ``{"categories": [...]}`` into a :class:`Taxonomy`.

    Raises :class:`TaxonomyError` on a malformed mapping or duplicate ids.
    """
    try:
        raw = msgspec.convert(data, Taxonomy)
    except msgspec.ValidationError as exc:
        raise TaxonomyError(f"invalid taxonomy: {exc}") from None
    seen: set[str] = set()
    categories = []
    for category in raw.categories:
        if not _ID.match(category.id):
            raise TaxonomyError(f"invalid category id: {category.id!r}")
        if category.id in seen:
            raise TaxonomyError(f"duplicate category id: {category.id!r}")
        seen.add(category.id)
        keywords = _clean(category.keywords)
        if not keywords:
            raise TaxonomyError(f"category {category.id!r} has no keywords")
        translations = {
            lang.strip().lower(): _clean(words) for lang, words in category.translations.items()
        }
        for lang in ("ja", "zh"):
            short = [k for k in translations.get(lang, ()) if len(k) < 2]
            if short:
                raise TaxonomyError(
                    f"category {category.id!r}: {lang} keyword {short[0]!r} is one character "
                    "(it would match inside too many words)"
                )
        categories.append(
            TaxonomyCategory(
                id=category.id,
                label=category.label,
                keywords=keywords,
                translations={lang: words for lang, words in translations.items() if words},
            )
        )
    return Taxonomy(categories=tuple(categories))


def _clean(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.strip().lower() for k in words if k.strip()))


def merge_taxonomies(base: Taxonomy, extra: Taxonomy) -> Taxonomy:
    """``base`` extended by ``extra``: same id adds keywords and takes the new label."""
    merged = {c.id: c for c in base.categories}
    for category in extra.categories:
        old = merged.get(category.id)
        if old is None:
            merged[category.id] = category
        else:
            keywords = tuple(dict.fromkeys(old.keywords + category.keywords))
            translations = dict(old.translations)
            for lang, words in category.translations.items():
                translations[lang] = tuple(dict.fromkeys(translations.get(lang, ()) + words))
            merged[category.id] = TaxonomyCategory(
                id=category.id,
                label=category.label or old.label,
                keywords=keywords,
                translations=translations,
            )
    return Taxonomy(categories=tuple(merged.values()))


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The general-purpose taxonomy shipped with the package."""
    text = resources.files("convoscope_analyzer.engine").joinpath("data/taxonomy.json").read_text()
    return parse_taxonomy(json.loads(text))


def load_taxonomy(
    path: str | Path,
    mode: Literal["extend", "replace"] = "extend",
    *,
    base: Taxonomy | None = None,
) -> Taxonomy:
    """Read a taxonomy file (``.json`` or ``.toml``) and extend or replace ``base``.

    ``base`` defaults to :func:`default_taxonomy`. Raises :class:`TaxonomyError`
    for an unreadable or malformed file or an unknown mode.
    """
    if mode not in ("extend", "replace"):
        raise TaxonomyError(f"unknown taxonomy mode: {mode!r}")
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path.name}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(raw_bytes.decode("utf-8"))
        else:
            data = json.loads(raw_bytes)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot parse taxonomy file {path.name}: {exc}") from None
    loaded = parse_taxonomy(data)
    if mode == "replace":
        return loaded
    return merge_taxonomies(base if base is not None else default_taxonomy(), loaded)


def taxonomy_languages(taxonomy: Taxonomy) -> tuple[str, ...]:
    """The languages a taxonomy has keywords in (English: the ``keywords`` list)."""
    found: dict[str, None] = {"en": None}
    for category in taxonomy.categories:
        found.update(dict.fromkeys(category.translations))
    return tuple(found)
