def connect():
    return psycopg.connect(host="db", user="shop", password="zdYgqSZh7YoJ@m9cdVs4wLU4")
