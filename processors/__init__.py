"""Stream processors (Faust): OCPP handlers, per-station state, domain events.

Handlers are pure: ``decide(state, call, ctx) -> Decision`` and ``evolve(state, event) ->
state``; the Faust agent in :mod:`processors.app` only decodes, loads state, calls them and
appends what they return.

Exception tree::

    ProcessorError
     └── InvalidReply   a handler built a reply its OCPP response schema rejects (a bug)
"""

from __future__ import annotations


class ProcessorError(Exception):
    """Base of processor failures."""


class InvalidReply(ProcessorError):
    """A handler produced a CallResult that does not validate."""
