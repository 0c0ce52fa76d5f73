"""The header (and banners) of every signed-in page, rendered on every page.

What the header shows (the menu with every entry's condition, the person's memberships and
the organization switch, the bell) is read per request by its providers, each memoised on
``flask.g`` at most.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, render_template
from markupsafe import Markup

from ..core.web import header_links, menu_items, page_banners, signed_in


class Frame(NamedTuple):
    header: Markup
    banners: Markup  # the warnings at the top of the page (core.web.add_page_banner)


def page_frame() -> Frame:
    """This page's header and banners (a template global: base.html)."""
    shown = signed_in()
    header = render_template("_header.html", menu=menu_items() if shown else [],
                             header_links=header_links() if shown else [])
    banners = render_template("_banners.html", banners=page_banners() if shown else [])
    return Frame(Markup(header), Markup(banners))


def init_app(app: Flask) -> None:
    app.add_template_global(page_frame, "page_frame")
