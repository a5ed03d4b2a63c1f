"""Flowstead: a personal AI workflow studio in one container."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flowstead")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
