"""``manage.py ensure_storage``: create the private Azure Blob container if it does not exist.

Run once per deployment (docker-compose's web service does it before starting gunicorn). A no-op
with the embedded file storage.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand

from apps.core.storage import is_azure


class Command(BaseCommand):
    help = "Create the Azure Blob container for uploads if it is missing (no-op on file storage)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_azure(default_storage):
            self.stdout.write("file storage: nothing to do")
            return
        # The Azure SDK only on Azure storage (0.4 s to import in every process otherwise).
        from azure.core.exceptions import ResourceExistsError

        try:
            default_storage.client.create_container()  # type: ignore[attr-defined]
            self.stdout.write(f"created container {default_storage.azure_container}")  # type: ignore[attr-defined]
        except ResourceExistsError:
            self.stdout.write(f"container {default_storage.azure_container} exists")  # type: ignore[attr-defined]
