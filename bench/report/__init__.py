"""Report formats shared by every deciding command (compare, gate, ab, qualify)."""
