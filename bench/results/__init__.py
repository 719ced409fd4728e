"""Result documents: the schema, atomic storage and exports."""
