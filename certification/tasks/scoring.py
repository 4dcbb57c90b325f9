"""Scoring tasks."""
