"""Storage backends. Production and CI keep uploads in a private Azure Blob container.

Only images are shown by the browser: every other stored file (PDFs, videos, anything stored before
names were server-made) carries ``Content-Disposition: attachment`` — on the blob itself and in
each SAS URL (``rscd``), so a file that is also valid HTML (a polyglot) is downloaded, never
rendered on the storage origin.

django-storages ignores ``client_options`` when it builds its client from a connection string, so
the SDK's defaults apply (ten retries, 15-second back-offs: well over a minute before an outage is
reported). This subclass passes the options through, so a storage outage answers 503 in seconds.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from azure.storage.blob import BlobServiceClient
from storages.backends.azure_storage import AzureStorage as _AzureStorage

from apps.core.files import served_inline

ATTACHMENT = "attachment"


class AzureStorage(_AzureStorage):
    """``storages.backends.azure_storage.AzureStorage`` that honours ``client_options`` (retries,
    connect/read timeouts) with a connection string too."""

    def _get_service_client(self) -> Any:
        if self.connection_string:
            return BlobServiceClient.from_connection_string(self.connection_string, **(self.client_options or {}))
        return super()._get_service_client()

    def _get_content_settings_parameters(self, name: str, content: Any = None) -> dict[str, Any]:
        params: dict[str, Any] = super()._get_content_settings_parameters(name, content)
        if not getattr(content, "content_type_checked", False):
            # Not from apps.core.uploads (e.g. a plain admin file field): the type the client
            # declared in its multipart part is never stored; go by the name.
            params["content_type"] = mimetypes.guess_type(name)[0] or self.default_content_type
        return params

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        """Blob properties stored with an upload: non-images are downloads (see the module docstring)."""
        params: dict[str, Any] = super().get_object_parameters(name)
        if not served_inline(name):
            params["content_disposition"] = ATTACHMENT
        return params

    def url(self, name: str, expire: Any = None, parameters: Any = None, mode: str = "r") -> str:
        params = dict(parameters or {})
        if not served_inline(name):
            params.setdefault("content_disposition", ATTACHMENT)
        return str(super().url(name, expire=expire, parameters=params, mode=mode))


def is_azure(storage: Any) -> bool:
    """True when ``storage`` (or the storage behind a lazy ``default_storage``) is Azure Blob."""
    return isinstance(storage, _AzureStorage)
