"""Every write of the attendance app, one module per concern (pretix's ``base/services``):

=================  =====================================================================
``registrations``  register, change, cancel
``guests``         a party's guests: add, change, remove
``invitations``    guest invitations: the e-mail, its daily limits, accepting it
``paddles``        bidder numbers: allocated on first need, or set by hand
``checkin``        check-in, its undo, walk-ins
``seating``        tables, seating a guest, automatic seating
``imports``        the CSV guest import (``manage.py import_guests``), through the services above
``common``         registration codes, guest input, capacity, e-mails after commit, shared checks
=================  =====================================================================

Shape (pretix's check-in service): lock the rows that matter, validate, raise a domain error with a
machine-readable code, write, audit, and send e-mails only after the transaction commits. Every
service takes its locks in the platform's one order, written down (with the reasons) in
:mod:`apps.attendance.locks`: event → registration → guest → paddle allocation / paddle rows → item,
with table rows after guests. Reads are in :mod:`apps.attendance.selectors`.
"""

# ``bench/checkin.py`` builds its registrations with the real code alphabet.
from apps.attendance.services.common import CODE_ALPHABET

__all__ = ["CODE_ALPHABET"]
