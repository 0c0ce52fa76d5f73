"""The steps of a demo setup: domains register the data they add to a demo instance (their
``demo_data`` modules) with :func:`demo_step`; ``registry demo setup`` (:mod:`registry.demo`,
the one demo instance) runs them in order. Lives in the core so that domains register steps
without importing the top of the application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask


@dataclass
class DemoContext:
    app: Flask
    directory: Path
    echo: Callable[[str], None] = print
    pki: object | None = None   # registry.pki.demo_pki.DemoPKI once the "pki" step has run
    data: dict = field(default_factory=dict)  # for steps to hand things to later steps


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[[DemoContext], None]


_STEPS: dict[str, DemoStep] = {}


def demo_step(order: int, name: str | None = None):
    """Register a demo setup step (lower ``order`` runs first; core steps use 0-99)."""
    def register(func: Callable[[DemoContext], None]):
        step_name = name or func.__name__
        _STEPS[step_name] = DemoStep(order, step_name, func)
        return func
    return register


def steps() -> list[DemoStep]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


# The top of the application (registry.demo) installs how a demo instance's application is
# made; commands of lower layers (e.g. the operator's) use it without importing upward.
_DEMO_APP_FACTORY: list[Callable[[Any], Any]] = []


def set_demo_app_factory(factory: Callable[[Any], Any]) -> None:
    """Install ``factory(directory) -> Flask`` (done by ``registry.demo`` when imported)."""
    _DEMO_APP_FACTORY[:] = [factory]


def create_demo_app(directory: Any) -> Any:
    """The application of the demo instance in ``directory``."""
    if not _DEMO_APP_FACTORY:
        raise RuntimeError("no demo application factory installed (import registry.demo)")
    return _DEMO_APP_FACTORY[0](directory)


def is_default_factory(factory: object) -> bool:
    """Whether the CLI's application factory is the environment's default one."""
    return bool(getattr(factory, "registry_default", False))
