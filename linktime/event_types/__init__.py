"""Event types: what a host offers, its hours and rules, and the form that edits them."""
