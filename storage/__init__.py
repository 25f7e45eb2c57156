"""Adapters to the stores: every SQL string (``storage.clickhouse``) and every Redis key lives here.

Import from the subpackages and modules (``from storage.clickhouse import ComplaintSink``); this package
itself re-exports nothing, so importing one adapter never pulls in another's client library.
"""

__all__: list[str] = []
