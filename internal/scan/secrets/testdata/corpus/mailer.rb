Mail.defaults do
  delivery_method :smtp, user_name: 'apikey', password: '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'
end

Mailgun.configure { |c| c.api_key = "key-zn47imylc5gd5pw89mxrc8deo19obvj6" }
MAILGUN_SIGNING_KEY = "2d90b2d9c01b269d3e50b3e586e1cd29-a229e479-499cd73a"
