"""Serializers of the attendance API: input shapes (validated here, rules in services) and outputs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.attendance.models import Guest, Registration, Table
from apps.core.api.fast import CompiledRepresentation

# --- outputs -----------------------------------------------------------------------------------------


class GuestSerializer(CompiledRepresentation, serializers.ModelSerializer):
    """A guest as the owner and staff see it; ``bidder_number`` is an integer once assigned. The guest
    list reads its page as values rows (``selectors.GUEST_ROW_VALUES``) through ``represent_rows``."""

    name = serializers.CharField(source="full_name", read_only=True)
    is_placeholder = serializers.BooleanField(read_only=True)
    registration_code = serializers.CharField(source="registration.code", read_only=True)
    food_option_name = serializers.CharField(source="food_option.name", read_only=True, allow_null=True)
    bidder_number = serializers.IntegerField(source="paddle.number", read_only=True, allow_null=True)
    table_number = serializers.IntegerField(source="table.number", read_only=True, allow_null=True)
    checked_in = serializers.SerializerMethodField()
    linked = serializers.SerializerMethodField()

    class Meta:
        model = Guest
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "is_registrant",
            "is_placeholder",
            "registration",
            "registration_code",
            "food_option",
            "food_option_name",
            "bidder_number",
            "table",
            "table_number",
            "checked_in",
            "checked_in_at",
            "linked",
        ]
        read_only_fields = fields

    def get_checked_in(self, obj: Guest) -> bool:
        return obj.checked_in_at is not None

    def get_linked(self, obj: Guest) -> bool:
        """Whether an account is linked: the registrant, or an invited guest who *accepted* the
        invitation. Entering an address never links it, so this does not tell whether it has an account."""
        return obj.user_id is not None


class CheckInResultSerializer(GuestSerializer):
    already_checked_in = serializers.BooleanField(read_only=True)

    class Meta(GuestSerializer.Meta):
        fields = [*GuestSerializer.Meta.fields, "already_checked_in"]
        read_only_fields = fields


class WalkInWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="NAME_MISMATCH: the e-mail belongs to someone of another name")
    message = serializers.CharField()


class WalkInResultSerializer(CheckInResultSerializer):
    """A walk-in's answer: the check-in result, whether the address was sent the invitation that
    links the guest to an account, and warnings for the desk."""

    invitation_sent = serializers.BooleanField(read_only=True)
    warnings = WalkInWarningSerializer(many=True, read_only=True)

    class Meta(CheckInResultSerializer.Meta):
        fields = [*CheckInResultSerializer.Meta.fields, "invitation_sent", "warnings"]
        read_only_fields = fields


class RegistrationSerializer(serializers.ModelSerializer):
    """A registration with its guests, registrant first."""

    guests = serializers.SerializerMethodField()
    event_name = serializers.CharField(source="event.name", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "event_name",
            "user",
            "code",
            "status",
            "source",
            "notes",
            "guests",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(GuestSerializer(many=True))
    def get_guests(self, obj: Registration) -> list[dict[str, Any]]:
        guests = sorted(obj.guests.all(), key=lambda g: (not g.is_registrant, g.created_at, str(g.pk)))
        return list(GuestSerializer(guests, many=True, context=self.context).data)


class TableRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    name = serializers.CharField()


class PartyTableSerializer(TableRefSerializer):
    guests = serializers.ListField(child=serializers.CharField(), help_text="Names of everyone seated there")


class MyRegistrationSerializer(RegistrationSerializer):
    """The caller's registration (owned, or the one they are a linked guest of) with seating."""

    table = serializers.SerializerMethodField()
    tablemates = serializers.SerializerMethodField()
    tables = serializers.SerializerMethodField()
    is_owner = serializers.SerializerMethodField()

    class Meta(RegistrationSerializer.Meta):
        fields = [*RegistrationSerializer.Meta.fields, "is_owner", "table", "tablemates", "tables"]
        read_only_fields = fields

    def get_is_owner(self, obj: Registration) -> bool:
        return obj.user_id == self.context["request"].user.pk

    @extend_schema_field(TableRefSerializer(allow_null=True))
    def get_table(self, obj: Registration) -> dict[str, Any] | None:
        table = self.context.get("own_table")
        return {"id": table.pk, "number": table.number, "name": table.name} if table else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tablemates(self, obj: Registration) -> list[str]:
        return self.context.get("tablemates", [])

    @extend_schema_field(PartyTableSerializer(many=True))
    def get_tables(self, obj: Registration) -> list[dict[str, Any]]:
        return self.context.get("tables", [])


class TableSerializer(serializers.ModelSerializer):
    """A table with its occupancy (guests of confirmed registrations seated there)."""

    occupancy = serializers.SerializerMethodField()
    seats_left = serializers.SerializerMethodField()
    captain_name = serializers.SerializerMethodField()

    class Meta:
        model = Table
        fields = ["id", "event", "number", "name", "capacity", "captain", "captain_name", "occupancy", "seats_left"]
        read_only_fields = fields

    def get_occupancy(self, obj: Table) -> int:
        return int(getattr(obj, "occupied", 0) or 0)

    def get_seats_left(self, obj: Table) -> int:
        return obj.capacity - self.get_occupancy(obj)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_captain_name(self, obj: Table) -> str | None:
        return obj.captain.full_name if obj.captain_id and obj.captain else None


class AutoAssignedSerializer(serializers.Serializer):
    guest = serializers.UUIDField()
    name = serializers.CharField()
    registration = serializers.UUIDField()
    table = serializers.UUIDField(required=False)
    table_number = serializers.IntegerField(required=False)


class AutoAssignResultSerializer(serializers.Serializer):
    assigned = AutoAssignedSerializer(many=True)
    unassigned = AutoAssignedSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


class MealCountSerializer(serializers.Serializer):
    food_option = serializers.UUIDField(allow_null=True)
    name = serializers.CharField()
    count = serializers.IntegerField()


class MealCountsSerializer(serializers.Serializer):
    results = MealCountSerializer(many=True)
    total = serializers.IntegerField()


# --- inputs ------------------------------------------------------------------------------------------


class GuestInputSerializer(serializers.Serializer):
    """One guest: ``name`` (split at the last space) or ``first_name``/``last_name``; all optional —
    a guest with no name is a placeholder to be named later."""

    name = serializers.CharField(max_length=121, required=False, allow_blank=True)
    # Names go into invitation e-mails: plain text, at most 60 characters, no addresses (the service
    # checks the rest, apps.attendance.services.invitations.mail_name_problem).
    first_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    food_option = serializers.UUIDField(required=False, allow_null=True, help_text="A meal option id of this event")


class RegistrationCreateSerializer(serializers.Serializer):
    guests = GuestInputSerializer(many=True, required=False, help_text="The extra people (not the registrant)")
    food_option = serializers.UUIDField(required=False, allow_null=True, help_text="The registrant's meal")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RegistrationUpdateSerializer(serializers.Serializer):
    food_option = serializers.UUIDField(required=False, allow_null=True, help_text="The registrant's meal")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class EventGuestUpdateSerializer(serializers.Serializer):
    bidder_number = serializers.IntegerField(min_value=1, max_value=999_999_999, required=False, allow_null=True)
    table = serializers.UUIDField(required=False, allow_null=True)


class CheckInSerializer(serializers.Serializer):
    bidder_number = serializers.IntegerField(
        min_value=1, max_value=999_999_999, required=False, allow_null=True, help_text="Set a number by hand"
    )


class WalkInSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=60)
    last_name = serializers.CharField(max_length=60, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    food_option = serializers.UUIDField(required=False, allow_null=True)
    bidder_number = serializers.IntegerField(min_value=1, max_value=999_999_999, required=False, allow_null=True)


class TableInputSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=1_000_000)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000)
    captain = serializers.UUIDField(required=False, allow_null=True, help_text="A guest seated at this table")


class GuestInvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token from the guest invitation e-mail")


class GuestInvitationAcceptedSerializer(serializers.Serializer):
    """The guest now linked to the caller, and the registration (party) they belong to."""

    guest = GuestSerializer()
    registration = RegistrationSerializer()
