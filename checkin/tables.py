"""Piccolo tables of the checkin domain."""
