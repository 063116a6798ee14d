"""Agora's authoritative server: world, simulation, session, store and network layers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agora")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
