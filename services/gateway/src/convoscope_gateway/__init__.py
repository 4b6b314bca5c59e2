"""ConvoScope gateway: REST API, Socket.IO, metrics."""

__version__ = "2.0.0"
