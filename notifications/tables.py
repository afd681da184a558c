"""Piccolo tables of the notifications domain."""
