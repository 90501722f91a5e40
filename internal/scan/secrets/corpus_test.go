package secrets

// corpusFile is one file of the planted corpus (testdata/corpus/NAME) and
// its clean twin (testdata/clean/NAME). In planted, each @@rule-id@@ (or
// @@rule-id:arg@@) is replaced by a fake secret that rule must report at
// exactly that place; clean holds the same file the way it should be
// written — placeholders, environment lookups, low-entropy values — and
// must yield nothing.
type corpusFile struct {
	name    string
	planted string
	clean   string
}

var corpus = []corpusFile{
	{
		name: "aws-credentials.ini",
		planted: `[default]
aws_access_key_id = @@aws-access-key-id@@
aws_secret_access_key = @@aws-secret-access-key@@
region = eu-west-1
`,
		clean: `[default]
# Documentation values from AWS, and an empty profile.
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
region = eu-west-1

[ci]
aws_access_key_id =
aws_secret_access_key =
`,
	},
	{
		name: "github.go",
		planted: `package deploy

import "net/http"

const deployToken = "@@github-pat@@"

func authorize(req *http.Request) {
	req.Header.Set("Authorization", "token @@github-oauth-token@@")
	req.SetBasicAuth("bot", "@@github-server-to-server-token@@") // installation token
}
`,
		clean: `package deploy

import (
	"net/http"
	"os"
)

var deployToken = os.Getenv("GITHUB_TOKEN")

func authorize(req *http.Request) {
	req.Header.Set("Authorization", "token "+deployToken)
	token := lookup("GITHUB_INSTALLATION_TOKEN")
	req.SetBasicAuth("bot", token)
}

func lookup(name string) string { return os.Getenv(name) }
`,
	},
	{
		name: "sluice-login.sh",
		planted: `#!/bin/sh
# log the CI runner in to the control plane
export SLUICE_URL=https://sluice.internal.corp
printf '%s' '@@sluice-api-key@@' | sluice login "$SLUICE_URL"
`,
		clean: `#!/bin/sh
# log the CI runner in to the control plane
export SLUICE_URL=https://sluice.internal.corp
printf '%s' "$SLUICE_KEY" | sluice login "$SLUICE_URL"
`,
	},
	{
		name: "release.yml",
		planted: `name: release
on: push
env:
  GH_TOKEN: @@github-fine-grained-pat@@
  NPM_TOKEN: "@@npm-access-token@@"
jobs:
  publish:
    steps:
      - run: npm publish
`,
		clean: `name: release
on: push
env:
  GH_TOKEN: ${{ secrets.GH_TOKEN }}
  NPM_TOKEN: "${{ secrets.NPM_TOKEN }}"
jobs:
  publish:
    steps:
      - run: npm publish
`,
	},
	{
		name: "gitlab.env",
		planted: `GITLAB_URL=https://gitlab.internal.corp
GITLAB_TOKEN=@@gitlab-pat@@
DEPLOY_TOKEN=@@gitlab-deploy-token@@
RUNNER_TOKEN='@@gitlab-runner-token@@'
`,
		clean: `GITLAB_URL=https://gitlab.internal.corp
GITLAB_TOKEN=${GITLAB_TOKEN}
DEPLOY_TOKEN=changeme
RUNNER_TOKEN='<runner-token>'
`,
	},
	{
		name: "slack.js",
		planted: `const { WebClient } = require('@slack/web-api');

const bot = new WebClient('@@slack-bot-token@@');
const user = new WebClient("@@slack-user-token@@");
const hook = 'https://hooks.slack.com/services/@@slack-webhook-url@@';
`,
		clean: `const { WebClient } = require('@slack/web-api');

const bot = new WebClient(process.env.SLACK_BOT_TOKEN);
const user = new WebClient(process.env.SLACK_USER_TOKEN);
const hook = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
`,
	},
	{
		name: "billing.py",
		planted: `import stripe

stripe.api_key = "@@stripe-secret-key@@"
REPORTING_KEY = "@@stripe-restricted-key@@"
# used by the sandbox checkout
TEST_KEY = '@@stripe-test-key@@'
`,
		clean: `import os

import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
REPORTING_KEY = os.getenv("STRIPE_RESTRICTED_KEY")
# used by the sandbox checkout
TEST_KEY = 'sk_test_xxxxxxxxxxxxxxxxxxxxxxxx'
`,
	},
	{
		name: "firebase.json",
		planted: `{
  "projectId": "acme-shop",
  "apiKey": "@@google-api-key@@",
  "oauth": {"clientId": "1234.apps.googleusercontent.com", "clientSecret": "@@google-oauth-client-secret@@"}
}
`,
		clean: `{
  "projectId": "acme-shop",
  "apiKey": "YOUR_API_KEY",
  "oauth": {"clientId": "1234.apps.googleusercontent.com", "clientSecret": "<client-secret>"}
}
`,
	},
	{
		name: "service-account.json",
		planted: `{
  "type": "service_account",
  "project_id": "acme-shop",
  "private_key_id": "3f1c0e9a2b7d4c5e8f6a1b2c3d4e5f6a7b8c9d0e",
  "private_key": "@@gcp-service-account-key@@",
  "client_email": "deployer@acme-shop.iam.gserviceaccount.com",
  "client_id": "108234567890123456789"
}
`,
		clean: `{
  "type": "service_account",
  "project_id": "acme-shop",
  "private_key_id": "",
  "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
  "client_email": "deployer@acme-shop.iam.gserviceaccount.com",
  "client_id": ""
}
`,
	},
	{
		name: "mailer.rb",
		planted: `Mail.defaults do
  delivery_method :smtp, user_name: 'apikey', password: '@@sendgrid-api-key@@'
end

Mailgun.configure { |c| c.api_key = "@@mailgun-api-key@@" }
MAILGUN_SIGNING_KEY = "@@mailgun-private-key@@"
`,
		clean: `Mail.defaults do
  delivery_method :smtp, user_name: 'apikey', password: ENV.fetch('SENDGRID_API_KEY')
end

Mailgun.configure { |c| c.api_key = ENV['MAILGUN_API_KEY'] }
MAILGUN_SIGNING_KEY = ENV['MAILGUN_SIGNING_KEY']
`,
	},
	{
		name: ".pypirc",
		planted: `[distutils]
index-servers = internal

[internal]
repository = https://pkgs.internal.corp/simple/
username = __token__
password = @@pypi-upload-token@@
`,
		clean: `[distutils]
index-servers = internal

[internal]
repository = https://pkgs.internal.corp/simple/
username = __token__
password = <your PyPI token>
`,
	},
	{
		name: "sms.php",
		planted: `<?php
$sid = "@@twilio-api-key@@";
$twilio_auth_token = "@@twilio-auth-token@@";
$client = new Client($sid, $twilio_auth_token);
`,
		clean: `<?php
$sid = getenv("TWILIO_API_KEY");
$twilio_auth_token = getenv("TWILIO_AUTH_TOKEN");
$client = new Client($sid, $twilio_auth_token);
`,
	},
	{
		name: "shop.ts",
		planted: `export const shopify = {
  accessToken: "@@shopify-access-token@@",
  sharedSecret: ` + "`@@shopify-shared-secret@@`" + `,
};
`,
		clean: `export const shopify = {
  accessToken: process.env.SHOPIFY_ACCESS_TOKEN,
  sharedSecret: ` + "`${process.env.SHOPIFY_SHARED_SECRET}`" + `,
};
`,
	},
	{
		name: "Storage.cs",
		planted: `public static class Storage
{
    const string Conn = "DefaultEndpointsProtocol=https;AccountName=acmeshop;AccountKey=@@azure-storage-account-key@@;EndpointSuffix=core.windows.net";
    const string ClientSecret = "@@azure-ad-client-secret@@";
}
`,
		clean: `public static class Storage
{
    const string Conn = "UseDevelopmentStorage=true";
    static readonly string ClientSecret = Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET");
}
`,
	},
	{
		name: "assistant.py",
		planted: `from openai import OpenAI
import anthropic

client = OpenAI(api_key="@@openai-api-key@@")
claude = anthropic.Anthropic(api_key="@@anthropic-api-key@@")
`,
		clean: `import os

from openai import OpenAI
import anthropic

client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
claude = anthropic.Anthropic()
`,
	},
	{
		name: "push.sh",
		planted: `#!/bin/sh
set -eu
echo "@@docker-hub-pat@@" | docker login -u acmebot --password-stdin
curl -H "Authorization: Bearer @@jwt@@" https://deploy.internal.corp/hooks/release
`,
		clean: `#!/bin/sh
set -eu
echo "$DOCKER_PAT" | docker login -u acmebot --password-stdin
curl -H "Authorization: Bearer $DEPLOY_JWT" https://deploy.internal.corp/hooks/release
`,
	},
	{
		name: "keys.txt",
		planted: `Keys for the staging hosts.

@@private-key:RSA PRIVATE KEY@@

deploy:
  ec: |
    @@private-key:EC PRIVATE KEY@@

@@private-key:OPENSSH PRIVATE KEY@@
@@private-key:DSA PRIVATE KEY@@
@@private-key:PGP PRIVATE KEY BLOCK@@
@@private-key:PRIVATE KEY@@
@@private-key:ENCRYPTED PRIVATE KEY@@
`,
		clean: `Keys for the staging hosts live in the vault; a key file starts like this:

-----BEGIN RSA PRIVATE KEY-----
...
-----END RSA PRIVATE KEY-----

deploy:
  ec: |
    -----BEGIN EC PRIVATE KEY-----
    <paste the key here>
    -----END EC PRIVATE KEY-----

-----BEGIN PUBLIC KEY-----
MIIBCgKCAQEAvq3Zk8Yt0pL2mWq9Nf4Rj7Hc1Ex6Ub3Ga5Sd8Kw2Po0Ti9Ly4Mz7Bn1Vc6Qx3Je5Dh8Fr2Ag0IDAQAB
-----END PUBLIC KEY-----
`,
	},
	{
		name: "docker-compose.yml",
		planted: `services:
  api:
    environment:
      DATABASE_URL: postgres://app:@@url-basic-auth@@@db.internal.corp:5432/shop
      REDIS_URL: redis://cache:6379/0
`,
		clean: `services:
  api:
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db.internal.corp:5432/shop
      LOCAL_URL: postgres://postgres:postgres@localhost:5432/shop
      DOCS_URL: https://user:password@example.com/
      REDIS_URL: redis://cache:6379/0
`,
	},
	{
		name: "config.yaml",
		planted: `database:
  host: db.internal.corp
  user: shop
  password: @@generic-secret@@
  pool: 10
`,
		clean: `database:
  host: db.internal.corp
  user: shop
  password: ${DB_PASSWORD}
  password_file: /run/secrets/db_password
  secretName: shop-db
  pool: 10
`,
	},
	{
		name: "settings.json",
		planted: `{
  "service": "search",
  "api_key": "@@generic-secret@@",
  "timeout": 30
}
`,
		clean: `{
  "service": "search",
  "api_key": "",
  "auth_url": "https://auth.internal.corp/token",
  "token_type": "Bearer",
  "timeout": 30
}
`,
	},
	{
		name: ".env",
		planted: `APP_ENV=production
SECRET_KEY=@@generic-secret@@
`,
		clean: `APP_ENV=production
SECRET_KEY=
SESSION_SECRET=xxxxxxxxxxxxxxxx
`,
	},
	{
		name: "deploy.sh",
		planted: `#!/bin/bash
export DB_PASSWORD='@@generic-secret@@'
./migrate --password "$DB_PASSWORD"
`,
		clean: `#!/bin/bash
export DB_PASSWORD="$(vault kv get -field=password secret/shop/db)"
./migrate --password "$DB_PASSWORD"
`,
	},
	{
		name: "main.go",
		planted: `package main

type Config struct {
	APIKey string
}

func defaults() Config {
	apiKey := "@@generic-secret@@"
	return Config{APIKey: apiKey}
}
`,
		clean: `package main

import "os"

type Config struct {
	APIKey string ` + "`json:\"api_key\"`" + `
}

func defaults() Config {
	apiKey := os.Getenv("API_KEY")
	tokenizer := "whitespace"
	_ = tokenizer
	return Config{APIKey: apiKey}
}
`,
	},
	{
		name: "app.py",
		planted: `def connect():
    return psycopg.connect(host="db", user="shop", password="@@generic-secret@@")
`,
		clean: `def connect(password):
    # password="hunter2" was the old default
    return psycopg.connect(host="db", user="shop", password=password)
`,
	},
	{
		name: "auth.js",
		planted: `module.exports = {
  clientId: 'shop-web',
  clientSecret: '@@generic-secret@@',
  author: 'Jane Doe',
};
`,
		clean: `module.exports = {
  clientId: 'shop-web',
  clientSecret: process.env.CLIENT_SECRET,
  author: 'Jane Doe',
  tokenEndpoint: '/oauth/token',
};
`,
	},
	{
		name: "main.tf",
		planted: `resource "aws_db_instance" "shop" {
  engine   = "postgres"
  username = "shop"
  password = "@@generic-secret@@"
}
`,
		clean: `resource "aws_db_instance" "shop" {
  engine   = "postgres"
  username = "shop"
  password = var.db_password
}

variable "db_password" {
  type      = string
  sensitive = true
}
`,
	},
}
