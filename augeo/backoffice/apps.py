"""Two app configs, both listed by their dotted path in ``INSTALLED_APPS``.

* :class:`AugeoAdminConfig` replaces ``django.contrib.admin`` so ``admin.site`` (and every
  ``@admin.register``) is the branded :class:`augeo.backoffice.site.AugeoAdminSite`. It names the
  site by a string: an AppConfig module is imported before the models are ready.
* :class:`BackofficeConfig` installs this package as an app of its own, so the admin's autodiscovery
  imports :mod:`augeo.backoffice.admin` (the project-wide admins: audit log, outbox, tasks) and the
  templates find its ``{% load tonight %}`` library.
"""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class AugeoAdminConfig(AdminConfig):
    default = False
    default_site = "augeo.backoffice.site.AugeoAdminSite"


class BackofficeConfig(AppConfig):
    default = False
    name = "augeo.backoffice"
    label = "backoffice"
    verbose_name = "Back office"
