"""Errors of the PlexSpaces client: the node's stable ``PLEX_ERR_*`` codes."""
from __future__ import annotations


class PlexError(Exception):
    """A call the node refused or could not serve. ``code`` is its ``PLEX_ERR_*`` code (docs/errors.md)."""

    def __init__(self, code: str, message: str, status: str = ""):
        super().__init__(f"{code}: {message}" if message and not message.startswith(code) else message or code)
        self.code = code
        self.status = status


def from_rpc_error(error) -> PlexError:
    """The node puts the code in the trailing metadata ``plex-error-code``; a transport failure has none."""
    metadata = dict(error.trailing_metadata() or ())
    status = error.code().name if error.code() is not None else ""
    code = metadata.get("plex-error-code") or ("PLEX_ERR_UNAVAILABLE" if status == "UNAVAILABLE" else f"GRPC_{status}")
    return PlexError(code, error.details() or "", status)
