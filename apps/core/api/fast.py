"""The hot read serializers' output, compiled once per class from their declaration.

DRF's generic ``Serializer.to_representation`` builds the fields per serializer (``get_fields``: a
deep copy of the declared fields plus model introspection) and spends two method calls per field per
row (``get_attribute`` + ``to_representation``): for a catalogue page of 20 items with 28 fields that
was most of the request. :class:`CompiledRepresentation` keeps the declaration (declared fields and
``Meta.fields``) as the only list of fields and compiles it once per class into a plan: for each
readable field, in DRF's order, how to read its source and a formatter answering what the field's
``to_representation`` answers — the value itself for character, integer, boolean and choice fields
(DRF's ``str()``/``int()``/``bool()`` of a value that already is one), a string for UUIDs and UUID
primary-key relations, :func:`money` for 2-place decimals (``COERCE_DECIMAL_TO_STRING``), DRF's ISO
format for datetimes (the current time zone read once per row), the method of a
``SerializerMethodField``, the nested serializer's own ``to_representation``, and for any other field
DRF's own (so the output stays exact). ``apps/core/tests/test_fast_paths.py`` compares the plans
with DRF's generic output on the same rows, for every kind of field.

Two differences from DRF's Python values, equal once rendered as JSON: related primary keys that are
UUIDs are strings (DRF hands the renderer ``UUID`` objects), and a choice keeps its ``TextChoices``
member (a ``str``).
"""

from __future__ import annotations

import copy
import datetime
import inspect
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from operator import attrgetter
from types import FunctionType
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models.manager import BaseManager
from django.utils import timezone
from rest_framework import ISO_8601, fields, relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

_CENT = Decimal("0.01")


def money(value: Any) -> str | None:
    """A 2-place decimal as DRF's ``DecimalField(decimal_places=2)`` renders it (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value).strip())
    return f"{value.quantize(_CENT):f}"


def instant(value: datetime.datetime | None) -> str | None:
    """A datetime as DRF's ``DateTimeField`` renders it: current time zone, ISO 8601, ``Z`` for UTC."""
    return _instant_in(value, timezone.get_current_timezone())


def _instant_in(value: datetime.datetime | None, zone: datetime.tzinfo) -> str | None:
    """:func:`instant` in ``zone`` (a plan reads the current zone once per row, not per field)."""
    if not value:
        return None
    if isinstance(value, str):
        return value
    value = value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value: datetime.date | None) -> str | None:
    """A date as DRF's ``DateField`` renders it."""
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


def uid(value: Any) -> str | None:
    """A UUID (primary key or foreign key id) as a string; None stays None."""
    return None if value is None else str(value)


# --- the plan ----------------------------------------------------------------------------------------

#: A step answering this leaves its key out, as DRF does for a ``SkipField``.
_SKIP = object()

#: The format of a datetime: the plan keeps the value, then formats the row's datetimes with
#: :func:`_instant_in` once it has read the current time zone (once per row, not per field).
_ZONED: Any = object()

#: A step of a plan: ``(key, read, format, call)``. A plain step reads ``read(row)`` and formats it
#: with ``format`` unless it is None (None stays None, as in DRF); a step with ``call`` answers
#: ``call(serializer, row)`` (method fields, nested serializers, files, DRF's own fields).
Step = tuple[str, Callable[[Any], Any] | None, Callable[[Any], Any] | None, Callable[[Any, Any], Any] | None]

#: Raised by a plain step reading an attribute the row does not have; the instance then goes through
#: DRF's generic path, which decides as DRF does (a default, null, the key left out, or the error).
_MISSING = (AttributeError, KeyError, ObjectDoesNotExist)

_GENERIC_GET_FIELDS = (serializers.Serializer.get_fields, serializers.ModelSerializer.get_fields)


def _fast_format(field: fields.Field) -> tuple[bool, Callable[[Any], Any] | None]:
    """``(known, format)``: the formatter of a field whose ``to_representation`` is DRF's own and
    depends on nothing but the value (``format`` None: the value itself); ``known`` False otherwise."""
    rep = type(field).to_representation
    if rep in (
        fields.CharField.to_representation,
        fields.IntegerField.to_representation,
        fields.BooleanField.to_representation,
        fields.ReadOnlyField.to_representation,
    ):
        return True, None
    if rep is fields.ChoiceField.to_representation and all(isinstance(k, str) for k in field.choices):  # type: ignore[attr-defined]
        return True, None
    if rep is fields.UUIDField.to_representation and getattr(field, "uuid_format", None) == "hex_verbose":
        return True, str
    if rep is fields.FloatField.to_representation:
        return True, float
    if rep is fields.JSONField.to_representation and not getattr(field, "binary", False):
        return True, None
    if rep is fields.DecimalField.to_representation:
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        plain = not (field.localize or field.normalize_output) and field.rounding is None  # type: ignore[attr-defined]
        if coerce and plain and field.decimal_places == 2:  # type: ignore[attr-defined]
            return True, money
    iso = ISO_8601
    if rep is fields.DateTimeField.to_representation and settings.USE_TZ and not hasattr(field, "timezone"):
        output = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if isinstance(output, str) and output.lower() == iso:
            return True, _ZONED
    if rep is fields.DateField.to_representation:
        output = getattr(field, "format", api_settings.DATE_FORMAT)
        if isinstance(output, str) and output.lower() == iso:
            return True, day
    if _context_free(field):
        return True, field.to_representation  # DRF's own, with other parameters: exact, called directly
    return False, None


#: DRF fields whose ``to_representation`` reads only the value and the field's own parameters.
_CONTEXT_FREE = tuple(
    cls.to_representation
    for cls in (
        fields.CharField,
        fields.IntegerField,
        fields.BooleanField,
        fields.ReadOnlyField,
        fields.ChoiceField,
        fields.MultipleChoiceField,
        fields.UUIDField,
        fields.FloatField,
        fields.DecimalField,
        fields.DateTimeField,
        fields.DateField,
        fields.TimeField,
        fields.DurationField,
        fields.JSONField,
    )
)


def _context_free(field: fields.Field) -> bool:
    rep = type(field).to_representation
    if rep in _CONTEXT_FREE:
        return True
    if rep in (fields.ListField.to_representation, fields.DictField.to_representation):
        return _context_free(field.child)  # type: ignore[attr-defined]
    return False


def _read(attrs: list[str], allow_null: bool) -> Callable[[Any], Any]:
    """The reader of a dotted source. With ``allow_null``, a missing link (``guest.paddle`` None)
    reads as None, as DRF answers it; otherwise a missing link raises and DRF's path decides."""
    if len(attrs) == 1 or not allow_null:
        return attrgetter(".".join(attrs))

    def read(row: Any) -> Any:
        for attr in attrs:
            if row is None:
                return None
            row = getattr(row, attr)
        return row

    return read


def _model_of(cls: type) -> type[models.Model] | None:
    meta = getattr(cls, "Meta", None)
    model = getattr(meta, "model", None)
    return model if isinstance(model, type) and issubclass(model, models.Model) else None


def _foreign_key(model: type[models.Model] | None, name: str) -> models.ForeignKey[Any, Any] | None:
    """The forward foreign key (or one-to-one) ``name`` of ``model``, if it is one."""
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.ForeignKey) else None


def _generic_step(name: str, rows: bool, key: str) -> Callable[[Any, Any], Any]:
    """DRF's own answer for the field (the serializer's bound field: context included), as
    ``Serializer.to_representation`` computes it; over values rows, the value read by its key."""

    def call(serializer: Any, row: Any) -> Any:
        field = serializer.fields[name]
        if rows:
            attribute = getattr(row, key)
        else:
            try:
                attribute = field.get_attribute(row)
            except SkipField:
                return _SKIP
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return call


def _nested_step(name: str, read: Callable[[Any], Any], prototype: Any, many: bool) -> Callable[[Any, Any], Any]:
    """A nested serializer: its own ``to_representation`` (its plan, when it has one) on a child
    bound to this serializer as DRF binds it — made once per serializer, not per row."""

    def call(serializer: Any, row: Any) -> Any:
        value = read(row)
        if value is None:
            return None
        children = serializer.__dict__.get("_compiled_children")
        if children is None:
            children = serializer._compiled_children = {}
        child = children.get(name)
        if child is None:
            field = copy.deepcopy(prototype)
            field.bind(name, serializer)
            child = children[name] = field.child if many else field
        if many:
            items = value.all() if isinstance(value, BaseManager) else value
            return [child.to_representation(item) for item in items]
        return child.to_representation(value)

    return call


def _file_step(read: Callable[[Any], Any], use_url: bool) -> Callable[[Any, Any], Any]:
    """DRF's ``FileField.to_representation``: the URL, absolute when the context has a request."""

    def call(serializer: Any, row: Any) -> Any:
        value = read(row)
        if value is None or not value:
            return None
        if not use_url:
            return value.name
        try:
            url = value.url
        except AttributeError:
            return None
        request = serializer.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    return call


def _method_step(cls: type, method_name: str) -> Callable[[Any, Any], Any]:
    method = inspect.getattr_static(cls, method_name, None)
    if isinstance(method, FunctionType):
        return method  # called as method(serializer, row), as the bound method would be
    return lambda serializer, row: getattr(serializer, method_name)(row)


def _calls_a_method(model: type[models.Model] | None, attrs: list[str]) -> bool:
    """Whether a link of the source is a model method (DRF calls it), following foreign keys from
    ``model``; past a link that is not a model field the source is taken as attributes."""
    for attr in attrs:
        if model is None:
            return False
        if callable(getattr(model, attr, None)):  # a method, or a partialmethod (get_kind_display)
            return True
        foreign_key = _foreign_key(model, attr)
        related = foreign_key.related_model if foreign_key is not None else None
        model = related if isinstance(related, type) else None
    return False


def _step(cls: type, field: fields.Field, rows: bool, names: set[str]) -> Step:
    """The step of one field; over values rows (``rows``), the row keys it reads go into ``names``."""
    name = field.field_name
    assert name is not None
    if isinstance(field, serializers.SerializerMethodField):
        return (name, None, None, _method_step(cls, field.method_name))
    attrs = list(field.source_attrs)
    model = _model_of(cls)
    source = inspect.getattr_static(model, attrs[0], None) if model is not None and attrs else None
    key = "__".join(attrs)
    if not attrs or _calls_a_method(model, attrs):
        # source="*", or a model method DRF would call: DRF's own field answers.
        if rows:
            raise TypeError(f"{cls.__name__}.{name}: not readable from values rows")
        return (name, None, None, _generic_step(name, rows, key))
    if type(field) is relations.PrimaryKeyRelatedField and field.pk_field is None and len(attrs) == 1:
        foreign_key = _foreign_key(model, attrs[0])
        if foreign_key is not None:
            names.add(foreign_key.attname)
            target = foreign_key.target_field
            return (name, attrgetter(foreign_key.attname), str if isinstance(target, models.UUIDField) else None, None)
    if rows:
        if isinstance(field, (serializers.BaseSerializer, fields.FileField)):
            raise TypeError(f"{cls.__name__}.{name}: not readable from values rows")
        if not isinstance(source, property):
            names.add(key)
        read: Callable[[Any], Any] = attrgetter(key)
    else:
        read = _read(attrs, field.allow_null and field.default is fields.empty)
    if type(field) is serializers.ListSerializer:
        return (name, None, None, _nested_step(name, read, field, many=True))
    if isinstance(field, serializers.Serializer):
        return (name, None, None, _nested_step(name, read, field, many=False))
    if type(field).to_representation is fields.FileField.to_representation:
        return (name, None, None, _file_step(read, getattr(field, "use_url", api_settings.UPLOADED_FILES_USE_URL)))
    known, fmt = _fast_format(field)
    if known:
        return (name, read, fmt, None)
    return (name, None, None, _generic_step(name, rows, key))


def _row_view_class(model: type[models.Model] | None) -> type:
    """The class of the object a values row is read through: its attributes are the row's keys (the
    row is its ``__dict__``) and its properties the model's, so a field sourced from a model property
    (``full_name``) and a ``get_<field>`` method read a row as they read an instance."""
    properties: dict[str, Any] = {}
    if model is not None:
        for klass in reversed(model.__mro__[: model.__mro__.index(models.Model)]):
            properties.update({k: v for k, v in vars(klass).items() if isinstance(v, property)})
    name = f"{model.__name__ if model else 'Row'}ValuesRow"
    return type(name, (), properties)


def _compile(cls: type, rows: bool) -> tuple[Callable[[Any, Any], dict[str, Any]], frozenset[str]]:
    """``(plan, names)``: the plan of ``cls`` and, over values rows, the row keys it reads itself."""
    if cls.get_fields not in _GENERIC_GET_FIELDS:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} builds its fields per instance; it cannot have one plan")
    names: set[str] = set()
    prototype = cls(context={})
    steps = [_step(cls, field, rows, names) for field in prototype.fields.values() if not field.write_only]
    zoned = tuple(key for key, _, fmt, _ in steps if fmt is _ZONED)
    plan = tuple((key, read, None if fmt is _ZONED else fmt, call) for key, read, fmt, call in steps)
    view_class = _row_view_class(_model_of(cls)) if rows else None
    current_zone = timezone.get_current_timezone
    new = object.__new__

    def run(serializer: Any, row: Any) -> dict[str, Any]:
        if view_class is not None:
            view: Any = new(view_class)
            view.__dict__ = row
            row = view
        data: dict[str, Any] = {}
        for key, read, fmt, call in plan:
            if call is None:
                value = read(row)  # type: ignore[misc]
                data[key] = value if value is None or fmt is None else fmt(value)
            else:
                value = call(serializer, row)
                if value is not _SKIP:
                    data[key] = value
        zone = None
        for key in zoned:
            value = data[key]
            if value is not None:
                zone = zone or current_zone()
                data[key] = _instant_in(value, zone)
        return data

    return run, frozenset(names)


_PLANS: dict[type, Callable[[Any, Any], dict[str, Any]]] = {}
_ROW_PLANS: dict[type, Callable[[Any, Any], dict[str, Any]]] = {}
_ROW_NAMES: dict[type, frozenset[str]] = {}


def plan_for(cls: type, *, rows: bool = False) -> Callable[[Any, Any], dict[str, Any]]:
    """The compiled plan of serializer class ``cls``: ``plan(serializer, instance) -> dict``."""
    plans = _ROW_PLANS if rows else _PLANS
    plan = plans.get(cls)
    if plan is None:
        plan, names = _compile(cls, rows)
        plans[cls] = plan
        if rows:
            _ROW_NAMES[cls] = names
    return plan


def values_names(cls: type) -> frozenset[str]:
    """The ``QuerySet.values()`` names :meth:`CompiledRepresentation.represent_rows` reads itself
    (fields sourced from model properties and ``get_<field>`` methods read others through them):
    what the selector that reads the rows must name."""
    plan_for(cls, rows=True)
    return _ROW_NAMES[cls]


class CompiledRepresentation(serializers.BaseSerializer):
    """Put before ``Serializer``/``ModelSerializer``: ``to_representation`` runs the class's plan
    (:func:`plan_for`), compiled on first use from the fields DRF builds for the class — so a field
    added to the declaration or to ``Meta.fields`` is in the output with nothing else to change. An
    instance missing an attribute the plan reads goes through DRF's generic path (which skips the
    key, answers the default or null, or raises, as DRF decides).

    The plan assumes the fields do not depend on the instance or the context (``get_fields`` is
    DRF's) and that sources name attributes or properties (a model method is left to DRF's field).
    """

    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan = _PLANS.get(type(self)) or plan_for(type(self))
        try:
            return plan(self, instance)
        except _MISSING:
            return super().to_representation(instance)  # type: ignore[no-any-return]

    def represent_rows(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The same answer for ``QuerySet.values()`` rows named as the ORM names them: a dotted source
        ``registration.code`` is the key ``registration__code``, a related primary key its column
        (``table_id``); model properties and ``get_<field>`` methods read the row's keys as
        attributes. For a list that reads its page without building model instances."""
        if type(self).to_representation is not CompiledRepresentation.to_representation:
            raise TypeError(f"{type(self).__name__} post-processes its output; its rows would differ")
        plan = _ROW_PLANS.get(type(self)) or plan_for(type(self), rows=True)
        return [plan(self, row) for row in rows]
