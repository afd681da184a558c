"""Privacy by design: what we hold about a person, their download, erasure, retention, audit."""
