"""The members' views stay thin (load, check, validate, call a service, flash, redirect): the
rules live in services.py, egrul.py and current.py."""

from __future__ import annotations

import ast
from pathlib import Path

import registry.members.views as views

LIMIT = 15
LONGER = {"card"}  # the member card still assembles its МЧД and role forms in the view


def _route_lengths() -> dict[str, int]:
    tree = ast.parse(Path(views.__file__).read_text(encoding="utf-8"))
    lengths = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "route" for d in node.decorator_list):
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            lengths[node.name] = body[-1].end_lineno - body[0].lineno + 1
    return lengths


def test_members_views_are_thin():
    lengths = _route_lengths()
    assert "egrul_change" in lengths
    too_long = {name: n for name, n in lengths.items() if n > LIMIT and name not in LONGER}
    assert too_long == {}, f"views longer than {LIMIT} lines: move the rules into the services"
