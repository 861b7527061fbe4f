"""Domain rules as verb functions over the database session: they flush, never commit."""
