"""Piccolo tables of the scheduling domain."""
