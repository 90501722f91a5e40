def connect(password):
    # password="hunter2" was the old default
    return psycopg.connect(host="db", user="shop", password=password)
