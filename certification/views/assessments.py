"""Views: assessments."""
