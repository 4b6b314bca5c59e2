"""ConvoScope on the command line: ``convoscope analyze | serve | doctor``."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("convoscope-cli")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"
