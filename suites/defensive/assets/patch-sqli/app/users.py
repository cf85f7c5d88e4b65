"""User lookup against an SQLite database."""
import sqlite3


def connect():
    db = sqlite3.connect(":memory:")
    db.execute("create table users (name text, role text)")
    db.executemany("insert into users values (?, ?)", [("alice", "admin"), ("bob", "user")])
    return db


def role_of(db, name):
    row = db.execute("select role from users where name = '%s'" % name).fetchone()
    return row[0] if row else None
