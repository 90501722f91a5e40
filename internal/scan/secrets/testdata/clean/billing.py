import os

import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
REPORTING_KEY = os.getenv("STRIPE_RESTRICTED_KEY")
# used by the sandbox checkout
TEST_KEY = 'sk_test_xxxxxxxxxxxxxxxxxxxxxxxx'
