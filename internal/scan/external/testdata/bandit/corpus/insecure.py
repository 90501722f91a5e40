"""Deliberately insecure code: the corpus of the Bandit adapter test."""
import hashlib
import pickle
import subprocess

import yaml


def run(cmd):
    return subprocess.call(cmd, shell=True)


def load_config(text):
    return yaml.load(text)


def restore(blob):
    return pickle.loads(blob)


def digest(data):
    return hashlib.md5(data).hexdigest()


def check(user):
    assert user.is_admin
    return True


def evaluate(expr):
    return eval(expr)


def login(db):
    return db.connect(user="app", password="hunter2-but-longer")
