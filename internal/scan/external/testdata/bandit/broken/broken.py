# Not Python: Bandit cannot parse it.
def broken(:
