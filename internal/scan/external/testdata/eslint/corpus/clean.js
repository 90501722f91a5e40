// Code the security rules have nothing to say about.
const path = require('path');

function join(a, b) {
  return path.join(a, b);
}

function total(values) {
  return values.filter((v) => v > 0).reduce((s, v) => s + v, 0);
}

module.exports = { join, total };
