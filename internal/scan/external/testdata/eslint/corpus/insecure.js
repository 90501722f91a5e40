// Deliberately insecure code: the corpus of the ESLint adapter test.
const childProcess = require('child_process');
const fs = require('fs');

function run(command) {
  return childProcess.exec(command);
}

function evaluate(expression) {
  return eval(expression);
}

function matcher(pattern) {
  return new RegExp(pattern);
}

function lookup(table, key) {
  return table[key];
}

function read(name) {
  return fs.readFileSync(name);
}

function load(moduleName) {
  return require(moduleName);
}

function checkToken(token, expected) {
  if (token === expected) {
    return true;
  }
  return false;
}

const emailPattern = /^([a-zA-Z0-9]+)*@example\.com$/;

module.exports = { run, evaluate, matcher, lookup, read, load, checkToken, emailPattern };
