Mail.defaults do
  delivery_method :smtp, user_name: 'apikey', password: ENV.fetch('SENDGRID_API_KEY')
end

Mailgun.configure { |c| c.api_key = ENV['MAILGUN_API_KEY'] }
MAILGUN_SIGNING_KEY = ENV['MAILGUN_SIGNING_KEY']
