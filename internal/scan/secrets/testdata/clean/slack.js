const { WebClient } = require('@slack/web-api');

const bot = new WebClient(process.env.SLACK_BOT_TOKEN);
const user = new WebClient(process.env.SLACK_USER_TOKEN);
const hook = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
