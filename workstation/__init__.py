"""workstation: a trading-risk workstation for crypto derivatives desks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("workstation")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
