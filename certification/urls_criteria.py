"""URLs: criteria sets and campaigns (included under the certification namespace)."""

from django.urls import path

from certification.views import campaigns, criteria

urlpatterns = [
    path("criteria/", criteria.set_list, name="criteria-set-list"),
    path("criteria/import/", criteria.set_import, name="criteria-set-import"),
    path("criteria/<int:pk>/", criteria.set_detail, name="criteria-set-detail"),
    path("criteria/<int:pk>/diff/<int:other_pk>/", criteria.set_diff, name="criteria-set-diff"),
    path("criteria/<int:pk>/export/", criteria.set_export, name="criteria-set-export"),
    path("criteria/<int:pk>/publish/", criteria.set_publish, name="criteria-set-publish"),
    path("criteria/<int:pk>/new-version/", criteria.set_new_version, name="criteria-set-new-version"),
    path("criteria/<int:pk>/clone/", criteria.set_clone, name="criteria-set-clone"),
    path(
        "criteria/<int:pk>/province-criterion/", criteria.province_criterion_add, name="criteria-province-add"
    ),
    path("criteria/unit/<int:unit_pk>/<int:year>/", criteria.criteria_for_unit, name="criteria-for-unit"),
    path("campaigns/", campaigns.campaign_list, name="campaign-list"),
    path("campaigns/open/", campaigns.campaign_open, name="campaign-open"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign-edit"),
]
