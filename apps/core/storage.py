"""Storage backends. Production and CI keep uploads in a private Azure Blob container.

django-storages ignores ``client_options`` when it builds its client from a connection string, so
the SDK's defaults apply (ten retries, 15-second back-offs: well over a minute before an outage is
reported). This subclass passes the options through, so a storage outage answers 503 in seconds.
"""

from __future__ import annotations

from typing import Any

from azure.storage.blob import BlobServiceClient
from storages.backends.azure_storage import AzureStorage as _AzureStorage


class AzureStorage(_AzureStorage):
    """``storages.backends.azure_storage.AzureStorage`` that honours ``client_options`` (retries,
    connect/read timeouts) with a connection string too."""

    def _get_service_client(self) -> Any:
        if self.connection_string:
            return BlobServiceClient.from_connection_string(self.connection_string, **(self.client_options or {}))
        return super()._get_service_client()


def is_azure(storage: Any) -> bool:
    """True when ``storage`` (or the storage behind a lazy ``default_storage``) is Azure Blob."""
    return isinstance(storage, _AzureStorage)
