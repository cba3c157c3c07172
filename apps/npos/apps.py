from django.apps import AppConfig


class NposConfig(AppConfig):
    name = "apps.npos"
    label = "npos"
