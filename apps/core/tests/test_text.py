"""The one Markdown renderer: bounded, sanitised, rendered on save, never on read."""

from __future__ import annotations

import importlib
import itertools
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from apps.core import text
from apps.core.exceptions import ValidationFailed
from apps.core.text import (
    MarkdownRefused,
    markdown_html,
    markdown_html_lenient,
    markdown_render,
    markdown_validator,
)

NESTED_LIST_300 = "- " * 300 + "item\n"  # one line, 300 list items each inside the previous one


def test_renders_and_sanitises() -> None:
    html = markdown_html(
        "# Title\n\n**Hi** <b>bold</b> <script>alert(1)</script> [x](javascript:alert(1)) "
        "<a onclick='x' href='https://example.org'>y</a>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~"
    )
    assert html.startswith("<h1>Title</h1>")
    assert "<strong>Hi</strong>" in html and "<b>bold</b>" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html and "<del>gone</del>" in html
    assert markdown_html("") == "" and markdown_html(None) == ""


@pytest.mark.parametrize("size", [10_000, 20_000])
def test_markdown_bracket_bomb_renders_fast(size: int) -> None:
    """``"[" * 10000`` took 24 s per read with Python-Markdown (quadratic)."""
    for bomb in ("[" * size, "![" * (size // 2), "*a" * (size // 2), "[a](" * (size // 4), "<" * size):
        text._render_bounded.cache_clear()
        started = time.perf_counter()
        markdown_html(bomb)
        assert time.perf_counter() - started < 3, bomb[:10]  # linear: ms; quadratic took 24 s


def test_markdown_nested_list_is_refused_not_a_recursion_error() -> None:
    """300 nested list items raised ``RecursionError`` (a 500 after saving); now a refusal."""
    with pytest.raises(MarkdownRefused, match="nested"):
        markdown_html(NESTED_LIST_300)
    with pytest.raises(MarkdownRefused):
        markdown_html(">" * 5000 + " deep quote")
    with pytest.raises(MarkdownRefused):
        markdown_html("<div>" * 100 + "unclosed raw HTML")
    # Ordinary nesting is fine.
    assert "<ul>" in markdown_html("".join("  " * i + "- item\n" for i in range(6)))


def test_length_limit() -> None:
    with override_settings(AUGEO_MAX_MARKDOWN_CHARS=100):
        assert markdown_html("a" * 100)
        with pytest.raises(MarkdownRefused, match="at most 100 characters"):
            markdown_html("a" * 101)
    with pytest.raises(MarkdownRefused):
        markdown_html("a" * 20_001)  # the default


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(MarkdownRefused, match="Unicode"):
        markdown_html("hello \ud800")


def test_slow_render_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(value: str) -> str:
        time.sleep(0.3)
        return "<p>late</p>"

    monkeypatch.setattr(text, "_render", slow)
    monkeypatch.setattr(text, "RENDER_SECONDS", 0.05)
    text._render_bounded.cache_clear()
    started = time.perf_counter()
    with pytest.raises(MarkdownRefused, match="too long"):
        markdown_html("slow text")
    assert time.perf_counter() - started < 0.25
    text._render_bounded.cache_clear()


def test_service_and_validator_forms() -> None:
    with pytest.raises(ValidationFailed) as caught:
        markdown_render(NESTED_LIST_300, field="mission")
    assert caught.value.code == "VALIDATION_ERROR" and "mission" in caught.value.fields
    with pytest.raises(ValidationError):
        markdown_validator("x" * 20_001)
    assert markdown_validator("fine") is None


def test_lenient_render_for_existing_rows() -> None:
    assert markdown_html_lenient("**b**") == "<p><strong>b</strong></p>\n"
    assert markdown_html_lenient("<x>" + "a" * 20_001 + "\n\nsecond") == f"<p>&lt;x&gt;{'a' * 20_001}</p><p>second</p>"


@pytest.mark.django_db
def test_save_renders_once_and_narrow_saves_never_render(monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.auctions.models import Item
    from apps.auctions.tests.factories import ItemFactory

    item = ItemFactory(description="**Signed** jersey")
    assert item.description_html == "<p><strong>Signed</strong> jersey</p>\n"
    calls: list[str] = []
    real = text._render

    def counting(value: str) -> str:
        calls.append(value)
        return real(value)

    monkeypatch.setattr(text, "_render", counting)
    text._render_bounded.cache_clear()
    fresh = Item.objects.get(pk=item.pk)
    fresh.title = "Renamed"
    fresh.save()  # description unchanged: no render
    fresh.save(update_fields=["title"])
    assert calls == []
    fresh.description = "_new_"
    fresh.save(update_fields=["description"])
    assert calls == ["_new_"]
    assert Item.objects.get(pk=item.pk).description_html == "<p><em>new</em></p>\n"


@pytest.mark.django_db
def test_save_with_a_refused_text_writes_nothing() -> None:
    from django.db import transaction

    from apps.events.models import Event
    from apps.events.tests.factories import EventFactory

    event = EventFactory(description="Before")
    event.description = NESTED_LIST_300
    with pytest.raises(ValidationFailed), transaction.atomic():
        event.save()
    stored = Event.objects.get(pk=event.pk)
    assert (stored.description, stored.description_html) == ("Before", "<p>Before</p>\n")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("app", "name", "factory_path", "fields"),
    [
        ("events", "0002_markdown_html", "apps.events.tests.factories.EventFactory", ["description"]),
        ("auctions", "0002_markdown_html", "apps.auctions.tests.factories.ItemFactory", ["description"]),
        ("npos", "0003_markdown_html", "apps.npos.tests.factories.NPOFactory", ["description", "mission"]),
    ],
)
def test_data_migration_renders_existing_rows(app: str, name: str, factory_path: str, fields: list[str]) -> None:
    from django.apps import apps as registry

    module_path, factory_name = factory_path.rsplit(".", 1)
    factory: Any = getattr(importlib.import_module(module_path), factory_name)
    row = factory(**dict.fromkeys(fields, "*old*"))
    model = type(row)
    too_long = "y" * 20_001
    # Rows written before the columns existed: text without HTML (one of them beyond today's bounds).
    model._base_manager.filter(pk=row.pk).update(**{f"{f}_html": "" for f in fields})
    other = factory()
    model._base_manager.filter(pk=other.pk).update(
        **dict.fromkeys(fields, too_long), **{f"{f}_html": "" for f in fields}
    )
    importlib.import_module(f"apps.{app}.migrations.{name}").render_existing(registry, None)
    row = model._base_manager.get(pk=row.pk)
    other = model._base_manager.get(pk=other.pk)
    for f in fields:
        assert getattr(row, f"{f}_html") == "<p><em>old</em></p>\n"
        assert getattr(other, f"{f}_html") == f"<p>{too_long}</p>"


@pytest.mark.parametrize(
    "source",
    [
        "![logo](https://tracker.example/pixel.gif?reader=1)",
        '<img src="https://tracker.example/pixel.gif" alt="x" width="1" height="1">',
        '<IMG SRC="/media/ours.png">',  # our own storage too: no feature puts images in Markdown
        "[![badge](https://tracker.example/b.svg)](https://example.org)",
    ],
)
def test_images_are_dropped(source: str) -> None:
    """An image in Markdown loads from its author's server whenever the text is shown: a tracking
    pixel for every API client and visitor. Nothing of it is left; a surrounding link stays."""
    html = markdown_html(f"Before {source} after")
    assert "<img" not in html.lower() and "tracker.example" not in html and "ours.png" not in html
    assert html.startswith("<p>Before ") and html.rstrip().endswith("after</p>")


_legal_minor = itertools.count()


def _legal_document(**values: Any) -> Any:
    from apps.legal.models import LegalDocument

    return LegalDocument.objects.create(type="terms", major=9, minor=next(_legal_minor), **values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("app", "name", "factory_path", "fields"),
    [
        ("events", "0004_markdown_without_images", "apps.events.tests.factories.EventFactory", ["description"]),
        ("auctions", "0006_markdown_without_images", "apps.auctions.tests.factories.ItemFactory", ["description"]),
        ("npos", "0006_markdown_without_images", "apps.npos.tests.factories.NPOFactory", ["description", "mission"]),
        ("legal", "0003_markdown_without_images", None, ["body"]),
    ],
)
def test_data_migration_drops_stored_images(app: str, name: str, factory_path: str | None, fields: list[str]) -> None:
    """HTML stored before images were dropped is rendered again; rows without an image are untouched."""
    from django.apps import apps as registry

    factory: Any = _legal_document
    if factory_path is not None:
        module_path, factory_name = factory_path.rsplit(".", 1)
        factory = getattr(importlib.import_module(module_path), factory_name)
    text_with_image = "Hello ![p](https://tracker.example/p.gif)"
    row = factory(**dict.fromkeys(fields, text_with_image))
    model = type(row)
    old_html = '<p>Hello <img src="https://tracker.example/p.gif" alt="p" /></p>\n'
    model._base_manager.filter(pk=row.pk).update(**{f"{f}_html": old_html for f in fields})
    clean = factory(**dict.fromkeys(fields, "*kept*"))
    model._base_manager.filter(pk=clean.pk).update(**{f"{f}_html": "<p>kept as stored</p>" for f in fields})
    importlib.import_module(f"apps.{app}.migrations.{name}").drop_images(registry, None)
    row = model._base_manager.get(pk=row.pk)
    clean = model._base_manager.get(pk=clean.pk)
    for f in fields:
        assert getattr(row, f"{f}_html") == "<p>Hello </p>\n"
        assert getattr(clean, f"{f}_html") == "<p>kept as stored</p>"
