"""Field rules for NPOs: colours, currencies, countries, phone numbers and social links.

Kept out of the serializers so the API, the admin forms and the services apply the same rules.
Each validator raises :class:`django.core.exceptions.ValidationError`; the API turns it into
400 ``VALIDATION_ERROR`` on the field.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

# ISO 4217 active codes (2024), without funds codes, precious metals and testing codes.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 — a readable block beats 170 quoted strings
)

# Platform → the host names its profile URLs live on (subdomains such as www. or m. are accepted).
SOCIAL_PLATFORMS: dict[str, tuple[str, ...]] = {
    "facebook": ("facebook.com", "fb.com"),
    "instagram": ("instagram.com",),
    "x": ("x.com", "twitter.com"),
    "linkedin": ("linkedin.com",),
    "youtube": ("youtube.com", "youtu.be"),
    "tiktok": ("tiktok.com",),
}


def validate_hex_colour(value: str) -> None:
    if value and not HEX_COLOUR.match(value):
        raise ValidationError("Use a colour in the form #RRGGBB.", code="invalid")


def validate_currency(value: str) -> None:
    if value not in ISO_4217:
        raise ValidationError("Use an ISO 4217 currency code such as USD or EUR.", code="invalid")


def validate_country(value: str) -> None:
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise ValidationError("Use an ISO 3166-1 alpha-2 country code such as US.", code="invalid")


def validate_phone(value: str) -> None:
    """International format (E.164, ``+14155550123``); spaces and dashes are tolerated."""
    if not value:
        return
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Use an international phone number such as +14155550123.", code="invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This phone number is not valid.", code="invalid")


def normalise_phone(value: str) -> str:
    if not value:
        return ""
    return phonenumbers.format_number(phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.E164)


def clean_social_links(value: Any) -> dict[str, str]:
    """``{platform: url}`` with known platforms only, each URL on that platform's domain.

    An empty value removes a platform. Raises ``ValidationError`` with one message per bad platform.
    """
    if not isinstance(value, dict):
        raise ValidationError("Send an object of platform → URL.", code="invalid")
    errors: list[str] = []
    cleaned: dict[str, str] = {}
    url_validator = URLValidator(schemes=["http", "https"])
    for platform, url in value.items():
        if platform not in SOCIAL_PLATFORMS:
            errors.append(f"{platform}: unknown platform (use one of {', '.join(SOCIAL_PLATFORMS)}).")
            continue
        if url in (None, ""):
            continue
        if not isinstance(url, str) or len(url) > 500:
            errors.append(f"{platform}: send a URL.")
            continue
        url = url.strip()
        try:
            url_validator(url)
        except ValidationError:
            errors.append(f"{platform}: not a valid http(s) URL.")
            continue
        host = (urlsplit(url).hostname or "").lower()
        domains = SOCIAL_PLATFORMS[platform]
        if not any(host == d or host.endswith(f".{d}") for d in domains):
            errors.append(f"{platform}: the URL must be on {' or '.join(domains)}.")
            continue
        cleaned[platform] = url
    if errors:
        raise ValidationError(errors, code="invalid")
    return cleaned
