"""Routes of the auctions API (mounted under /api/v1/)."""

from django.urls import path

from apps.auctions.api import views

item = views.ItemViewSet
event_items = views.EventItemsViewSet
event = views.EventAuctionViewSet

urlpatterns = [
    path("events/<uuid:event_id>/items/", event_items.as_view({"get": "list", "post": "create"}), name="event-items"),
    path(
        "events/<uuid:event_id>/items/closing-time/",
        event_items.as_view({"post": "closing_time"}),
        name="event-items-closing-time",
    ),
    path("events/<uuid:event_id>/my-bids/", event.as_view({"get": "my_bids"}), name="event-my-bids"),
    path(
        "events/<uuid:event_id>/paddle-raise/",
        event.as_view({"get": "paddle_raise", "post": "paddle_raise"}),
        name="event-paddle-raise",
    ),
    path("events/<uuid:event_id>/pledges/", event.as_view({"get": "pledges", "post": "pledges"}), name="event-pledges"),
    path(
        "events/<uuid:event_id>/pledges/<uuid:pledge_id>/undo/",
        event.as_view({"post": "pledge_undo"}),
        name="event-pledge-undo",
    ),
    path("events/<uuid:event_id>/totals/", event.as_view({"get": "totals"}), name="event-totals"),
    path(
        "items/<uuid:pk>/",
        item.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="item-detail",
    ),
    path("items/<uuid:pk>/open/", item.as_view({"post": "open"}), name="item-open"),
    path("items/<uuid:pk>/close/", item.as_view({"post": "close"}), name="item-close"),
    path("items/<uuid:pk>/withdraw/", item.as_view({"post": "withdraw"}), name="item-withdraw"),
    path("items/<uuid:pk>/bids/", item.as_view({"get": "bids", "post": "bids"}), name="item-bids"),
    path("items/<uuid:pk>/buy-now/", item.as_view({"post": "buy_now"}), name="item-buy-now"),
    path("items/<uuid:pk>/sales/", item.as_view({"get": "sales", "post": "sales"}), name="item-sales"),
    path("items/<uuid:pk>/sales/<uuid:sale_id>/undo/", item.as_view({"post": "sale_undo"}), name="item-sale-undo"),
    path("items/<uuid:pk>/images/", item.as_view({"get": "images", "post": "images"}), name="item-images"),
    path(
        "items/<uuid:pk>/images/<uuid:image_id>/",
        item.as_view({"delete": "image_delete"}),
        name="item-image-delete",
    ),
]
