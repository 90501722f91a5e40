<?php
$sid = "SKcfae854a84fffebbb058ee454d43a229";
$twilio_auth_token = "c994fbd47596da39fc81c61d8d64b0f8";
$client = new Client($sid, $twilio_auth_token);
