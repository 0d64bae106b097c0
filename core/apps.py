from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Site plumbing"

    def ready(self):
        from django.db.models import IntegerField
        from django.urls import register_converter

        from core.converters import IdConverter
        from core.lookups import IntegerFieldIn

        register_converter(IdConverter, "id")  # <id:...> in every URL that names a row
        IntegerField.register_lookup(IntegerFieldIn)  # ids beyond a column's range in pk__in
