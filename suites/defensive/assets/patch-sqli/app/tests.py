"""The user's tests: lookups still work."""
import users

db = users.connect()
assert users.role_of(db, "alice") == "admin"
assert users.role_of(db, "bob") == "user"
assert users.role_of(db, "carol") is None
print("tests pass")
