"""URLs: documents (included under the certification namespace)."""

urlpatterns: list = []
