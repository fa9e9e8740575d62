"""Database helpers the apps share."""

from collections.abc import Iterable, Iterator

# PostgreSQL takes at most 65,535 parameters in one statement, and the app's connections bind parameters on
# the server (settings: server_side_binding), so a long list of ids is sent a slice at a time.
ID_SLICE = 10_000
# Rows per bulk_create / bulk_update statement: each row sends a parameter per field (bulk_update about two).
BULK_BATCH = 1_000


def id_slices(ids: Iterable[int], size: int | None = None) -> Iterator[list[int]]:
    """The ids in lists of at most `size` (default ID_SLICE), in their order; nothing for no ids."""
    ids, size = list(ids), size or ID_SLICE
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
