"""Bulk printing tasks."""
