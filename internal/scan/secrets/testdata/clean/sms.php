<?php
$sid = getenv("TWILIO_API_KEY");
$twilio_auth_token = getenv("TWILIO_AUTH_TOKEN");
$client = new Client($sid, $twilio_auth_token);
