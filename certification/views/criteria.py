"""Views: criteria."""
