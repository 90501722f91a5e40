import stripe

stripe.api_key = "sk_live_ltRK2uQXIi98MBP577Cuo5brTp938UI3Vz"
REPORTING_KEY = "rk_live_Iod5th8RdvTxbisAlkClqFgZrghr68gntk"
# used by the sandbox checkout
TEST_KEY = 'sk_test_HIEf5ggeV0gQhoXchtvjU9qqwrFgJY310D'
