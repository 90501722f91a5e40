"""Code Bandit has nothing to say about."""
import json


def load(text):
    return json.loads(text)


def total(values):
    return sum(v for v in values if v > 0)
