from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "apps.live"
    label = "live"
    verbose_name = "Live updates"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.live import receivers
        from apps.live.publisher import account_recheck_on_cut_off
        from apps.users.signals import access_cut_off

        # What the auctions do is published to the event's room after commit (live.md "Messages").
        receivers.connect()
        # "Log out everywhere" (and every other cut-off) closes the user's open sockets at once.
        access_cut_off.connect(account_recheck_on_cut_off, dispatch_uid="live.account_recheck")
