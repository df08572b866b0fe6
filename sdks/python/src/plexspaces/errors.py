"""Errors the SDK raises. A handler's reply names them by message only; other exceptions by type and message."""


class PlexSpacesError(Exception):
    """Base of the SDK's errors."""


class HostCallError(PlexSpacesError):
    """A host function answered ``ERROR …`` (its text, with the PLEX_ERR_* code, is the message)."""


class HostUnavailableError(PlexSpacesError):
    """A host function was called outside a component (plain CPython, e.g. a unit test without a fake host)."""


class PayloadError(PlexSpacesError):
    """A message's payload does not fit its handler's parameters."""


class NoHandlerError(PlexSpacesError, LookupError):
    """No handler, signal or query for a message type."""


class WorkflowStateError(PlexSpacesError):
    """A workflow's `run` came when the workflow had already run."""
