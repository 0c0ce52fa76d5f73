"""Every mapped model has a factory in tests/factories.py, and each builds a row the database
accepts with its defaults alone."""

from __future__ import annotations

import pytest

from registry.extensions import db

from . import factories


def _factories() -> dict[type, type]:
    found = {}
    for value in vars(factories).values():
        if isinstance(value, type) and issubclass(value, factories.Factory) \
                and not value._meta.abstract:
            found[value._meta.model] = value
    return found


def _mapped_classes(app) -> list[type]:
    """Every class of the declarative registry, once the application imported every domain."""
    with app.app_context():
        return sorted((m.class_ for m in db.Model.registry.mappers), key=lambda c: c.__name__)


def test_every_mapped_model_has_a_factory(app):
    missing = [cls.__name__ for cls in _mapped_classes(app) if cls not in _factories()]
    assert missing == []
    assert len(_factories()) >= 24  # the walk found the models, not an empty registry


@pytest.mark.parametrize("model", sorted(_factories(), key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_each_factory_builds_a_row_with_its_defaults(app, db_session, model):
    with app.test_request_context():
        row = _factories()[model]()
        identity = db.inspect(row).identity
        assert identity is not None  # flushed: the database took it
        db.session.expunge_all()
        assert db.session.get(model, identity) is not None
