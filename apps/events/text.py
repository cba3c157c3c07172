"""Event descriptions are Markdown written by NPO staff and shown to anonymous visitors, so the
rendered HTML is sanitised (nh3 allow-list: no scripts, no event handlers, http(s)/mailto links only)."""

from __future__ import annotations

import markdown
import nh3

_URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_html(text: str) -> str:
    if not text:
        return ""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")
