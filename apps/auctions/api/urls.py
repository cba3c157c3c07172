"""Routes of the auctions API (mounted under /api/v1/)."""

from django.urls import path

from apps.auctions.api import views

item = views.ItemViewSet
event_items = views.EventItemsViewSet
event = views.EventAuctionViewSet

urlpatterns = [
    path("events/<str:event_id>/items/", event_items.as_view({"get": "list", "post": "create"}), name="event-items"),
    path(
        "events/<str:event_id>/items/closing-time/",
        event_items.as_view({"post": "closing_time"}),
        name="event-items-closing-time",
    ),
    path("events/<str:event_id>/my-bids/", event.as_view({"get": "my_bids"}), name="event-my-bids"),
    path(
        "events/<str:event_id>/paddle-raise/",
        event.as_view({"get": "paddle_raise", "post": "paddle_raise"}),
        name="event-paddle-raise",
    ),
    path("events/<str:event_id>/pledges/", event.as_view({"get": "pledges", "post": "pledges"}), name="event-pledges"),
    path(
        "events/<str:event_id>/pledges/<str:pledge_id>/undo/",
        event.as_view({"post": "pledge_undo"}),
        name="event-pledge-undo",
    ),
    path("events/<str:event_id>/totals/", event.as_view({"get": "totals"}), name="event-totals"),
    path(
        "items/<str:pk>/",
        item.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="item-detail",
    ),
    path("items/<str:pk>/open/", item.as_view({"post": "open"}), name="item-open"),
    path("items/<str:pk>/close/", item.as_view({"post": "close"}), name="item-close"),
    path("items/<str:pk>/withdraw/", item.as_view({"post": "withdraw"}), name="item-withdraw"),
    path("items/<str:pk>/bids/", item.as_view({"get": "bids", "post": "bids"}), name="item-bids"),
    path("items/<str:pk>/buy-now/", item.as_view({"post": "buy_now"}), name="item-buy-now"),
    path("items/<str:pk>/sales/", item.as_view({"get": "sales", "post": "sales"}), name="item-sales"),
    path("items/<str:pk>/sales/<str:sale_id>/undo/", item.as_view({"post": "sale_undo"}), name="item-sale-undo"),
    path("items/<str:pk>/images/", item.as_view({"get": "images", "post": "images"}), name="item-images"),
    path(
        "items/<str:pk>/images/<str:image_id>/",
        item.as_view({"delete": "image_delete"}),
        name="item-image-delete",
    ),
]
