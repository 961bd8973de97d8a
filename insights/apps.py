from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Delivery metrics read from the releases' own history; no models of its own."""

    name = "insights"
