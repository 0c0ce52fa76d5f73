"""Exceptions of the GOST package."""


class GostError(ValueError):
    """An unusable key, parameter set or encoding (never raised for a merely wrong signature)."""


class GostUnavailable(GostError):
    """The requested backend cannot be loaded on this machine."""
