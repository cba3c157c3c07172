"""Private fields in the admin: what no changelist may filter, search, sort or list by, and the
changelist's query string limited to the lookups its own filters produce.

A filter or a sort order answers questions about a value without showing it (``?leader_max__gte=700``,
then 650, 675 …), so the fields that hold what bidders and sponsors keep private are never offered —
a system check (``augeo.E010``) refuses to start otherwise — and forms show them only to holders of
their capability (:class:`apps.npos.tenancy.admin.TenantScopedMixin`).

The same question can be asked of any column from the address bar (``?password__startswith=pbkdf``
on users, ``?token__startswith=eyJ`` on refresh tokens), so every admin registered on the site —
ours and third-party ones such as ``auth.Group`` — accepts only its declared lookups
(:class:`DeclaredLookupsOnly`); the system check ``augeo.E011`` refuses to start otherwise.

The mechanism lives in ``core`` so that every app's admin (users' too, below npos) can use it; which
fields are private, and who may see them, is declared by the app that knows the capabilities
(:data:`apps.npos.tenancy.private.PRIVATE_FIELDS`, registered with :func:`private_fields_declare`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import EmptyFieldListFilter, SimpleListFilter, widgets
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

#: Model label → {private field → the capability needed to see it in a form (None: nobody)}, as
#: declared by :func:`private_fields_declare`.
_private: dict[str, dict[str, str | None]] = {}


def private_fields_declare(table: dict[str, dict[str, str | None]]) -> None:
    """Declare private fields (``{"auctions.Bid": {"max_amount": None}}``); called in an
    ``AppConfig.ready``, declaring again is harmless."""
    for label, fields in table.items():
        _private.setdefault(label, {}).update(fields)


def private_fields(label: str) -> dict[str, str | None]:
    """The private fields of the model ``label`` (``"auctions.Item"``) and who may see each."""
    return dict(_private.get(label, {}))


_DATE_HIERARCHY_SUFFIXES = ("year", "month", "day")


def filter_parameters(model: type[models.Model], path: str, filter_class: Any = None) -> set[str]:
    """The query-string keys Django's field list filter for ``path`` puts in its links (what its
    ``expected_parameters()`` answers), worked out without building the filter (which queries)."""
    field = get_fields_from_path(model, path)[-1]
    if isinstance(filter_class, type) and issubclass(filter_class, EmptyFieldListFilter):
        return {f"{path}{LOOKUP_SEP}isempty"}
    target = getattr(field, "target_field", None)
    if field.is_relation and target is not None:
        return {f"{path}{LOOKUP_SEP}{target.name}{LOOKUP_SEP}exact", f"{path}{LOOKUP_SEP}isnull"}
    if isinstance(field, models.DateField):  # DateTimeField too
        return {f"{path}{LOOKUP_SEP}gte", f"{path}{LOOKUP_SEP}lt", f"{path}{LOOKUP_SEP}isnull"}
    if isinstance(field, models.BooleanField) or getattr(field, "flatchoices", None):
        return {f"{path}{LOOKUP_SEP}exact", f"{path}{LOOKUP_SEP}isnull"}
    return {path, f"{path}{LOOKUP_SEP}isnull"}  # the "all values" filter of a plain column


def touches_private_field(model: type[models.Model], path: str) -> bool:
    """True when the ORM ``path`` (``"leader_max__gte"``, ``"bids__max_amount"``) reaches a declared
    private field, on ``model`` or on any model it traverses."""
    current: Any = model
    for part in path.split(LOOKUP_SEP):
        if current is None:
            return False
        if part in _private.get(current._meta.label, {}):
            return True
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        current = field.related_model if field.is_relation else None
    return False


def field_names(value: Any) -> list[str]:
    """Flatten a ``fields`` entry (a name, or a tuple of names on one line)."""
    if isinstance(value, list | tuple):
        return [name for item in value for name in field_names(item)]
    return [value] if isinstance(value, str) else []


class DeclaredLookupsOnly:
    """A changelist accepts only the query-string lookups its own filters produce.

    Django's default ``lookup_allowed`` accepts a lookup on *any* local field, so every field of
    every admin could be queried from the address bar, private ones included. Here a lookup must be
    one that a declared ``list_filter`` (or the ``date_hierarchy``) puts in its links, and must not
    touch a private field; anything else is refused with 400 (Django raises
    ``DisallowedModelAdminLookup``). Search (``?q=``) and sorting (``?o=``) can only use the
    declared ``search_fields`` and sortable ``list_display`` columns, which the system check
    :func:`check_no_private_field_offered` keeps free of private fields.
    """

    model: type[models.Model]

    def declared_lookups(self, request: HttpRequest | None) -> set[str]:
        """Every query-string key the declared filters and date hierarchy may put in a URL."""
        allowed: set[str] = set()
        list_filter = (
            self.get_list_filter(request)  # type: ignore[attr-defined]
            if request is not None
            else getattr(self, "list_filter", ())
        )
        for entry in list_filter:
            if isinstance(entry, type) and issubclass(entry, SimpleListFilter):
                allowed.add(entry.parameter_name or "")
                continue
            path, filter_class = entry if isinstance(entry, list | tuple) else (entry, None)
            if isinstance(path, str):  # (a custom non-field filter class declares no field lookup)
                allowed |= filter_parameters(self.model, path, filter_class)
        hierarchy = getattr(self, "date_hierarchy", None)
        if hierarchy:
            allowed.update(f"{hierarchy}{LOOKUP_SEP}{suffix}" for suffix in _DATE_HIERARCHY_SUFFIXES)
        return allowed

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        if touches_private_field(self.model, lookup):
            return False
        # Django's own exception: the raw-id popup of a foreign key with ``limit_choices_to``.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return lookup in self.declared_lookups(request)


@checks.register(checks.Tags.admin)
def check_no_private_field_offered(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start when an admin offers a filter, search, ordering, date hierarchy or changelist
    column on a private field (a column is also a sort key: ``?o=``)."""
    return private_field_errors(admin.site)


def private_field_errors(site: admin.AdminSite) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model, model_admin in site._registry.items():
        paths: list[tuple[str, str]] = []
        for entry in model_admin.list_filter:
            path = entry[0] if isinstance(entry, list | tuple) else entry
            if isinstance(path, str):
                paths.append(("list_filter", path))
        paths += [("search_fields", name.lstrip("^=@")) for name in model_admin.search_fields]
        paths += [("ordering", name.lstrip("-")) for name in (model_admin.ordering or ()) if isinstance(name, str)]
        if model_admin.date_hierarchy:
            paths.append(("date_hierarchy", model_admin.date_hierarchy))
        for column in model_admin.list_display:
            if isinstance(column, str):
                paths.append(("list_display", column))
                member = getattr(model_admin, column, None)
                ordering = getattr(member, "admin_order_field", None)
                if isinstance(ordering, str):
                    paths.append(("list_display ordering", ordering.lstrip("-")))
        for where, path in paths:
            if touches_private_field(model, path):
                errors.append(
                    checks.Error(
                        f"{type(model_admin).__name__}.{where} uses the private field {path!r}.",
                        hint="Private fields (apps.core.admin_lookups) are never filtered, searched or sorted.",
                        obj=type(model_admin),
                        id="augeo.E010",
                    )
                )
    return errors


@checks.register(checks.Tags.admin)
def check_every_admin_declares_lookups(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start when a ModelAdmin registered on the site (a third-party one included) accepts
    lookups it does not declare: Django's default answers ``?<any column>__startswith=`` on every
    local field, hashes and tokens included."""
    return undeclared_lookup_errors(admin.site)


def declares_lookups(model_admin: Any) -> bool:
    """True when the admin's ``lookup_allowed`` is :class:`DeclaredLookupsOnly`'s (or a subclass's):
    the mixin must come before ``ModelAdmin`` among the bases, or Django's own method wins."""
    for klass in type(model_admin).__mro__:
        if "lookup_allowed" in vars(klass):
            return issubclass(klass, DeclaredLookupsOnly)
    return False


def undeclared_lookup_errors(site: admin.AdminSite) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{type(model_admin).__name__} (for {model._meta.label}) accepts any lookup from the address bar.",
            hint="Put apps.core.admin_lookups.DeclaredLookupsOnly first among its bases (re-register a "
            "third-party admin with it).",
            obj=type(model_admin),
            id="augeo.E011",
        )
        for model, model_admin in site._registry.items()
        if not declares_lookups(model_admin)
    ]
