"""Replaces ``django.contrib.admin`` in ``INSTALLED_APPS`` so ``admin.site`` (and every
``@admin.register``) is the branded :class:`apps.npos.admin_site.AugeoAdminSite`. Kept apart from
the site itself: an AppConfig module is imported before the models are ready."""

from django.contrib.admin.apps import AdminConfig


class AugeoAdminConfig(AdminConfig):
    default_site = "apps.npos.admin_site.AugeoAdminSite"
