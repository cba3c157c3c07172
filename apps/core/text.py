"""Markdown written by NPO staff and shown to anonymous visitors: one renderer for every Markdown
field (event, item and NPO descriptions, the NPO mission; legal documents reuse it).

Three rules, because Markdown is attacker-controlled input on a public page:

* **Rendered once, on save; never on read.** Models that carry Markdown mix in
  :class:`MarkdownFieldsMixin`, which stores the sanitised HTML beside the text (``description`` →
  ``description_html``). A list endpoint serves the stored column, so one hostile description can
  never make every anonymous read slow (the old per-read renderer took 24 s for ``"[" * 10000``).
* **Bounded.** The text is at most ``AUGEO_MAX_MARKDOWN_CHARS`` characters; the parser is cmark-gfm
  (C, linear time, no recursion — Python-Markdown was quadratic on brackets and raised
  ``RecursionError`` on deep lists); the rendered element nesting is at most :data:`MAX_DEPTH`
  (sanitisers and browsers recurse on it); and the caller waits at most :data:`RENDER_SECONDS`.
* **A failure is a 400 on write.** :func:`markdown_validator` runs the whole check in serializers
  and admin forms, so a refused text is a field error before anything is written; the model's
  ``save`` runs it again (from a cache) for writes that did not come through a form.

The HTML is sanitised with an allow-list (nh3: no scripts, no event handlers, http(s)/mailto links)
and **without images**: an ``<img>`` in a description loads from wherever its author chose the
moment an API client or a browser shows the text — a tracking pixel that reports who read it, when
and from which IP. No feature places images in Markdown (events have their media gallery, items their
images, NPOs their logo), so ``![…](…)`` and raw ``<img>`` are dropped rather than allowed from our own
storage only (a second URL rule to keep right). Stored HTML rendered before is re-rendered by each
app's data migration (:func:`html_columns_rerender`).
"""

from __future__ import annotations

import functools
import html
import re
import threading
from collections.abc import Iterable
from typing import Any, ClassVar

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.core.exceptions import ValidationFailed

_URL_SCHEMES = {"http", "https", "mailto"}
#: nh3's allow-list without images (see the module docstring): no element that loads anything.
_TAGS = set(nh3.ALLOWED_TAGS) - {"img"}
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items() if tag in _TAGS}
# Raw HTML is passed to the sanitiser (inline <b>, <br> keep working), which is the one that decides.
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES

#: Deepest element nesting accepted in the rendered HTML: about ten levels of nested lists with
#: formatting inside. 300 nested list items (600 levels) are refused.
MAX_DEPTH = 32
#: The longest a caller waits for a render; cmark takes milliseconds for the largest allowed text.
RENDER_SECONDS = 2.0

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class MarkdownRefused(ValueError):
    """The text cannot be rendered within the bounds (too long, too deeply nested, too slow)."""


def _depth(markup: str) -> int:
    """The deepest element nesting of ``markup``; unclosed tags count as open (conservative)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(markup):
        if name.lower() in _VOID or self_closing:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _render(text: str) -> str:
    try:
        raw = cmarkgfm.github_flavored_markdown_to_html(text, options=_CMARK_OPTIONS)
    except UnicodeError as exc:  # a lone surrogate ("\ud800") from JSON cannot be encoded
        raise MarkdownRefused("The text is not valid Unicode.") from exc
    if _depth(raw) > MAX_DEPTH:
        raise MarkdownRefused(f"The text is nested more than {MAX_DEPTH} levels deep.")
    return nh3.clean(
        raw, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow"
    )


@functools.lru_cache(maxsize=32)
def _render_bounded(text: str) -> str:
    """``_render`` on a worker thread; the caller stops waiting after :data:`RENDER_SECONDS`.

    cmark releases the GIL and is linear in the (length-limited) input, so an abandoned render
    finishes on its own shortly after. Results are cached: the validator and the model's ``save``
    render the same text once.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["html"] = _render(text)
        except Exception as exc:  # handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="markdown-render", daemon=True)
    worker.start()
    worker.join(RENDER_SECONDS)
    if worker.is_alive():
        raise MarkdownRefused("The text took too long to render.")
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome["html"])


def markdown_html(text: str | None) -> str:
    """Sanitised HTML for ``text``; raises :class:`MarkdownRefused` when it breaks a bound."""
    if not text:
        return ""
    limit = settings.AUGEO_MAX_MARKDOWN_CHARS
    if len(text) > limit:
        raise MarkdownRefused(f"Ensure this text has at most {limit} characters (it has {len(text)}).")
    return _render_bounded(text)


def markdown_render(text: str | None, *, field: str = "description") -> str:
    """:func:`markdown_html` for services: a refusal is 400 ``VALIDATION_ERROR`` on ``field``."""
    try:
        return markdown_html(text)
    except MarkdownRefused as exc:
        raise ValidationFailed(message=str(exc), fields={field: [str(exc)]}) from exc


def markdown_validator(value: str | None) -> None:
    """Field validator (models, admin forms, serializers): the same bounds as the render on save."""
    try:
        markdown_html(value)
    except MarkdownRefused as exc:
        raise ValidationError(str(exc), code="markdown") from exc


def markdown_html_lenient(text: str | None) -> str:
    """For data migrations over existing rows: what cannot be rendered within the bounds is shown as
    escaped plain text (nothing is refused after the fact; the next edit must fix it)."""
    try:
        return markdown_html(text)
    except MarkdownRefused:
        paragraphs = [p for p in re.split(r"\n\s*\n", text or "") if p.strip()]
        return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def html_columns_rerender(manager: Any, fields: dict[str, str], *, containing: str) -> int:
    """For data migrations after the sanitiser's allow-list shrank: render again the stored HTML of
    the rows whose HTML column (``fields``: source → column) contains ``containing`` (``"<img"``).
    Returns the rows rewritten."""
    query = Q()
    for target in fields.values():
        query |= Q(**{f"{target}__contains": containing})
    batch: list[Any] = []
    count = 0
    for row in manager.filter(query).only("pk", *fields, *fields.values()).iterator(chunk_size=500):
        for source, target in fields.items():
            setattr(row, target, markdown_html_lenient(getattr(row, source)))
        batch.append(row)
        if len(batch) >= 500:
            manager.bulk_update(batch, list(fields.values()))
            count, batch = count + len(batch), []
    if batch:
        manager.bulk_update(batch, list(fields.values()))
        count += len(batch)
    return count


class MarkdownFieldsMixin:
    """Stores the rendered HTML of Markdown fields beside them, on ``save``.

    ``markdown_fields`` maps a source field to its HTML column (``{"description":
    "description_html"}``). The HTML is rendered when the source changed since the row was loaded
    (or has no HTML yet); ``save(update_fields=…)`` without the source leaves both alone, so the
    bid path's narrow saves never render. A refused text raises
    :class:`~apps.core.exceptions.ValidationFailed` (400), rolling back the caller's transaction.
    ``QuerySet.update()`` bypasses this: write Markdown through ``save``.
    """

    markdown_fields: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)  # type: ignore[misc]
        instance._markdown_loaded = {f: instance.__dict__.get(f) for f in cls.markdown_fields}
        return instance

    def render_markdown_fields(self, only: Iterable[str] | None = None) -> list[str]:
        """Render the changed Markdown fields (of ``only``, when given); returns the HTML columns set."""
        loaded: dict[str, Any] = getattr(self, "_markdown_loaded", {})
        deferred = self.get_deferred_fields()  # type: ignore[attr-defined]
        wanted = set(only) if only is not None else None
        written: list[str] = []
        for source, target in self.markdown_fields.items():
            if source in deferred or (wanted is not None and source not in wanted):
                continue
            text = getattr(self, source) or ""
            if source in loaded and loaded[source] == text and (getattr(self, target) or not text):
                continue
            setattr(self, target, markdown_render(text, field=source))
            loaded[source] = text
            written.append(target)
        self._markdown_loaded = loaded
        return written

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        written = self.render_markdown_fields(update_fields)
        if update_fields is not None and written:
            kwargs["update_fields"] = {*update_fields, *written}
        super().save(*args, **kwargs)  # type: ignore[misc]
