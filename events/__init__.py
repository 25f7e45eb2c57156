"""What travels on Kafka: each topic's name and record schema, and the complaint codec.

Imported by both sides of a topic (``api/`` produces, ``streams/`` consumes), so neither imports
the other; imports nothing of ours but ``config``'s floor (nothing at all, today)."""
