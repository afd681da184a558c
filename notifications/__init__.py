"""Messages to people: kinds and templates, the outbox, channels and the arq worker."""
