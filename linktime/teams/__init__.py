"""Teams: their members, team event types (round-robin, collective) and the team's public page."""
