"""URLs: scoring (included under the certification namespace)."""

urlpatterns: list = []
