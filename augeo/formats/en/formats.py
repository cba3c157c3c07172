"""English date formats with the zone's abbreviation on every time: whatever renders a
datetime through Django's formats (the admin's lists, read-only fields, ``|date:"DATETIME_FORMAT"``)
says which clock it is on — ``Dec 20, 2026, 5:00 PM CST``. The zone is the active one: the event's
on event pages (``apps.npos.admin_times``), the viewer's elsewhere (``apps.npos.middleware``)."""

DATETIME_FORMAT = "M j, Y, g:i A T"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A T"
TIME_FORMAT = "g:i A T"
DATE_FORMAT = "M j, Y"
