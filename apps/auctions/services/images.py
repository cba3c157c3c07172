"""An item's pictures, through the one upload path: validated by content, stored under a server-made
name, audited, the blob removed after commit when a picture is deleted (API and admin alike)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.auctions.models import (
    Item,
    ItemImage,
)
from apps.auctions.services.common import (
    item_npo_id,
)
from apps.core import uploads
from apps.core.files import validate_image
from apps.core.services import audit_record


@transaction.atomic
def item_image_add(*, item: Item, upload: Any, actor: Any, caption: str = "", ip: str | None = None) -> ItemImage:
    """Validate an uploaded picture by content and store it under a server-made name (503 when the
    storage is down; the blob is removed again if the row cannot be written)."""
    checked = validate_image(upload)
    name = uploads.store(upload, prefix=f"items/{item.pk}", checked=checked)
    try:
        last = item.images.order_by("-display_order").values_list("display_order", flat=True).first()
        image = ItemImage.objects.create(
            item=item,
            file=name,
            content_type=checked.content_type,
            size=checked.size,
            width=checked.width,
            height=checked.height,
            caption=caption[:250],
            display_order=(last or 0) + 1,
        )
    except Exception:
        uploads.discard(name)
        raise
    audit_record(actor=actor, action="item.image_add", obj=item, npo_id=item_npo_id(item), ip=ip)
    return image


@transaction.atomic
def item_image_delete(*, image: ItemImage, actor: Any, ip: str | None = None) -> None:
    item = image.item
    name = image.file.name
    image.delete()
    audit_record(actor=actor, action="item.image_delete", obj=item, npo_id=item_npo_id(item), ip=ip)
    uploads.delete_on_commit(name)
