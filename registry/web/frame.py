"""The header (and banners) of every signed-in page, rendered once per person and state and
reused.

Building the header (the menu with every entry's condition, the person's memberships and the
organization switch, the bell) is a good part of what a signed-in page costs, and it changes
rarely. What it shows is a function of:

- the person's account row and the certificate of the session;
- the frame facts read with the session (``core.hooks.add_frame_fact``: the memberships with
  their organizations' names and state, the bell's count, the menu's conditions);
- what the domains add with ``core.hooks.add_frame_key`` (the organization chosen in this
  sign-in), the session and its CSRF token, the mount point.

The rendered HTML is kept under exactly these (hashable values), per process and bounded. The
parts that change from page to page are marks filled on every page: which entry is the current
page and the address the organization switch comes back to. A request that wrote something
before rendering has no frame facts any more (they are forgotten at the flush): its header is
rendered afresh and not kept. A menu condition, banner or header link that reads anything else
must make it a frame fact or a frame key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import NamedTuple

from flask import Flask, current_app, g, render_template, request, session
from markupsafe import Markup, escape

from ..auth.services import SESSION_TOKEN, columns_of, current_account_columns
from ..core.hooks import frame_facts, frame_key_parts
from ..core.web import current_person, header_links, menu_items, page_banners, signed_in
from ..extensions import db

MEMO_KEY = "registry.frame_memo"
MEMO_LIMIT = 4096  # distinct people × states kept per process (a few KB each)

# Marks carry a per-process random part: page content cannot forge one.
_NONCE = secrets.token_hex(8)
_MARK = re.compile("\x00" + _NONCE + r":(\w+):([\w.]*)\x00")


def frame_mark(kind: str, value: str = "") -> Markup:
    """A place in the header filled per page: ``current`` (`` aria-current`` when ``value`` is
    the page's endpoint) or ``next`` (the page's address)."""
    return Markup(f"\x00{_NONCE}:{kind}:{value}\x00")


def _fill(html: str) -> Markup:
    endpoint = request.endpoint
    here = None

    def one(match: re.Match) -> str:
        nonlocal here
        kind, value = match.group(1), match.group(2)
        if kind == "current":
            return ' aria-current="page"' if value == endpoint else ""
        if here is None:
            here = str(escape(request.full_path if request.query_string else request.path))
        return here

    return Markup(_MARK.sub(one, html))


def frame_key() -> tuple | None:
    """What this request's header is a function of, or None (not signed in, or the frame
    facts are not known: render it afresh)."""
    if not signed_in():
        return None
    if db.session.registry.has() and db.session.dirty:
        return None  # the account (or anything) changed and not yet written: render afresh
    account = current_account_columns()  # as the session lookup read it
    if account is None:  # e.g. just signed in: the account itself
        user = current_person()
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        account = columns_of(user)
    facts = frame_facts(account["id"])
    token = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if facts is None or not token:
        return None
    key = (tuple(account.values()), g.certificate.fingerprint, session.get(SESSION_TOKEN), token,
           tuple(sorted(facts.items())), tuple(frame_key_parts(current_app)), request.script_root)
    try:
        hash(key)
    except TypeError:  # a value that cannot be a key (a JSON document): render afresh
        return None
    return key


class Frame(NamedTuple):
    header: Markup
    banners: Markup  # the warnings at the top of the page (core.web.add_page_banner)


def _rendered(memo: dict, key: tuple | None, template: str, context: Callable[[], dict]) -> str:
    html = memo.get(key) if key is not None else None
    if html is None:
        html = render_template(template, **context())
        # kept only if rendering changed nothing it depends on (e.g. it created the CSRF token)
        if key is not None and frame_key() == key[0]:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = html
    return html


def page_frame() -> Frame:
    """This page's header and banners (a template global: base.html)."""
    memo: dict[tuple, str] = current_app.extensions[MEMO_KEY]
    key = frame_key()
    shown = signed_in()
    header = _rendered(memo, (key, "header") if key else None, "_header.html", lambda: {
        "menu": menu_items() if shown else [], "header_links": header_links() if shown else []})
    # a banner may leave out the page that says the same in full: kept per endpoint
    banners = _rendered(memo, (key, "banners", request.endpoint) if key else None, "_banners.html",
                        lambda: {"banners": page_banners() if shown else []})
    return Frame(_fill(header), Markup(banners))


def init_app(app: Flask) -> None:
    app.extensions[MEMO_KEY] = {}
    app.add_template_global(page_frame, "page_frame")
    app.add_template_global(frame_mark, "frame_mark")
