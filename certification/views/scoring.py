"""Views: scoring."""
