"""URLs: criteria (included under the certification namespace)."""

urlpatterns: list = []
