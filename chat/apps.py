from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Course chat"

    def ready(self):
        from chat import signals

        signals.connect()
