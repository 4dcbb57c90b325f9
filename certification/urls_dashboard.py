"""URLs: dashboard (included under the certification namespace)."""

urlpatterns: list = []
