"""Whether GOST runs on the OpenSSL gost engine or on the pure-Python fallback.

Without the engine every GOST hash and signature check (sign-in chains, CRLs, documents, the
trust list's XML signature) runs in pure Python, about ten times slower; nothing else changes,
so the operator must be told: ``registry doctor`` and the console's trust page show
:attr:`EngineStatus.warning`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import gost

PACKAGE = "libengine-gost-openssl"


@dataclass(frozen=True)
class EngineStatus:
    loaded: bool  # GOST is computed by OpenSSL with the gost engine
    backend: str | None  # the active backend ("openssl", "pure") or None if none loads
    description: str  # the active backend's description, or why none loads
    reason: str  # why the engine is not in use (English); empty when loaded
    forced: bool = False  # the pure backend was chosen by REGISTRY_GOST_BACKEND

    @property
    def remedy(self) -> str:
        """What to do about it (English, for ``registry doctor``)."""
        return "unset REGISTRY_GOST_BACKEND" if self.forced else f"install {PACKAGE}"

    @property
    def warning(self) -> str | None:
        """What to tell the operator (Russian), None when the engine is in use."""
        if self.loaded:
            return None
        if self.backend is None:
            return (f"ГОСТ недоступен: ни модуль gost для OpenSSL, ни запасная реализация на "
                    f"Python не загружаются ({self.reason}); подписи и сертификаты ГОСТ не "
                    f"проверяются.")
        remedy = ("Уберите REGISTRY_GOST_BACKEND из окружения." if self.forced
                  else f"Установите пакет {PACKAGE} (make system-deps).")
        return (f"Модуль ГОСТ для OpenSSL (gost engine) не используется: {self.reason}. Подписи "
                f"и сертификаты ГОСТ проверяются на чистом Python — примерно в десять раз "
                f"медленнее. {remedy}")


def engine_status() -> EngineStatus:
    """The GOST engine's state in this process."""
    forced = os.environ.get("REGISTRY_GOST_BACKEND", "").strip().lower()
    try:
        gost.get_backend("openssl")
        engine_error = ""
    except gost.GostUnavailable as exc:
        engine_error = str(exc)
    try:
        active = gost.backend()
    except gost.GostUnavailable as exc:
        return EngineStatus(False, None, str(exc), engine_error or str(exc))
    if active.name == "openssl":
        return EngineStatus(True, active.name, active.description, "")
    if engine_error:
        return EngineStatus(False, active.name, active.description, engine_error)
    return EngineStatus(False, active.name, active.description,
                        f"REGISTRY_GOST_BACKEND={forced}", forced=True)
