const { WebClient } = require('@slack/web-api');

const bot = new WebClient('xoxb-50117125979-557738052528-REK7XiOaALAlHpuFqyYdSFvy');
const user = new WebClient("xoxp-51157744923-59598587355-909015955260-d18d6f51a27361624b6d17e543b76ff0");
const hook = 'https://hooks.slack.com/services/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';
