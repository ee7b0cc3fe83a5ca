"""Leaf utilities shared by the knowledge base and the policies (no project imports)."""
