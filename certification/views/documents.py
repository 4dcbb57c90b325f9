"""Views: documents."""
