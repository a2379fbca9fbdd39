"""Durable background work: the outbox table, its dispatcher, and the in-process scheduler."""
