"""Activities, their dated sessions, recurrence, venues, employers, registrations and calendars."""
