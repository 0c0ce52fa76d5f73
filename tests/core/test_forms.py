"""registry.core.forms.html_params renders exactly what wtforms' own does, faster."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from registry.core.forms import ORIGINAL_HTML_PARAMS, html_params

CASES = [
    {},
    {"name": "q", "id": "q", "class_": "field__control"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_attr": "user.name", "aria_labeledby": "name", "aria_describedby": "q-hint q-error"},
    {"value": 'a "quoted" <b>&amp; \'single\''},
    {"value": Markup('<i class="x">safe</i>'), "title": Markup("a &amp; b")},
    {"value": 5, "min": 0.5, "max": None, "selected": True, "disabled": False},
    {"value": "Иванов И. И.", "placeholder": "ДД.ММ.ГГГГ", "for_": "x", "class": "y"},
    {"onclick": "alert(1)", "style": "x: \"y\""},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_the_same_output_as_wtforms(kwargs):
    ours, theirs = html_params(**kwargs), ORIGINAL_HTML_PARAMS(**kwargs)
    assert ours == theirs and isinstance(ours, Markup)


def test_rendered_fields_use_it(app):
    """A form rendered in the application goes through the installed function."""
    from wtforms import widgets
    from wtforms.widgets import core

    assert core.html_params is html_params and widgets.html_params is html_params
    assert core.Input.html_params is html_params and core.Button.html_params is html_params
