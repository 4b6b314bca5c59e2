"""Local launcher: an embedded nats-server and the four services as separate processes.

``make run`` and the end-to-end tests both start the stack through
:class:`convoscope_stack.stack.Stack`, so the tests exercise exactly what a
person runs; compose.yaml runs the same service commands (SERVICE_COMMANDS).
"""
