"""Signed check-in codes, QR images, check-in and walk-ins, attendance and reports."""
