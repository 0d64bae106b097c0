from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from notifications.live import session_ended

        user_logged_out.connect(session_ended, dispatch_uid="notifications-session-ended")
