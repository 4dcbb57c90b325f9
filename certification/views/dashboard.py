"""Views: dashboard."""
