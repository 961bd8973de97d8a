from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Releases"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from .models.team import person_saved
        from .zones import remember

        post_save.connect(person_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="people")
        user_logged_in.connect(remember, dispatch_uid="time-zone")
