from django.urls import path

from units import views

app_name = "units"
urlpatterns = [
    path("", views.unit_list, name="unit-list"),
    path("<int:pk>/", views.unit_detail, name="unit-detail"),
    path("import/", views.import_upload, name="import-upload"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("import/confirm/", views.import_confirm, name="import-confirm"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/roles/add/", views.role_add, name="role-add"),
    path("users/<int:pk>/password-link/", views.user_password_link, name="user-password-link"),
    path("roles/<int:pk>/remove/", views.role_remove, name="role-remove"),
]
