"""The user's tests: a public file must still be served."""
import server

assert server.serve("index.txt") == b"hello from the public folder\n"
print("tests pass")
