"""URLs: assessments (included under the certification namespace)."""

urlpatterns: list = []
