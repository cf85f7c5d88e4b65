"""A tiny file server: serve(name) returns the bytes of a file in the public folder."""
import os

BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "public")


def serve(name):
    path = os.path.join(BASE, name)
    with open(path, "rb") as f:
        return f.read()
