"""ConvoScope gateway: REST API, Socket.IO, metrics."""
